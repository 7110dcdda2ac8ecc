/* SD-JWT VC type metadata: vct#integrity as W3C SRI (sha256/384/512, several values,
 * base64 with or without padding), the document naming its vct, and the fetch through
 * the lent transport: once per TTL, the cached bytes checked against a later integrity
 * value, a transport failure, a document too big, a vct that is no URL. */
#include "sdjwt_test.h"

#include <stdlib.h>

#define VCT "https://id.example/vct/resident_card/1"
#define DOC "{\"vct\":\"" VCT "\",\"name\":\"Resident card\"}"

typedef struct fake_web {
    const char *body; /* NULL: the transport fails */
    int calls;
} fake_web;

static mobid_err fake_fetch(void *ctx, const char *url, size_t max, mobid_buf *body)
{
    fake_web *w = ctx;
    w->calls++;
    if (!w->body || strcmp(url, VCT))
        return MOBID_ERR_FETCH_FAILED;
    if (strlen(w->body) > max)
        return MOBID_ERR_TOO_BIG;
    return mobid_buf_append_str(body, w->body);
}

/* "alg-base64" of text, padded (pad) or not. */
static char *sri(mobid_hash_alg h, size_t len, const char *alg, const char *text, bool pad)
{
    uint8_t md[MOBID_HASH_MAX];
    mobid_buf b;
    mobid_buf_init(&b, 0);
    assert_int_equal(mobid_hash(h, mobid_view_str(text), md), MOBID_OK);
    mobid_buf_append_str(&b, alg);
    assert_int_equal(mobid_b64_encode(mobid_view_make(md, len), &b), MOBID_OK);
    while (!pad && b.len && b.ptr[b.len - 1] == '=')
        b.len--;
    assert_int_equal(mobid_buf_terminate(&b), MOBID_OK);
    return (char *)b.ptr;
}

static void test_integrity(void **state)
{
    (void)state;
    char *s256 = sri(MOBID_HASH_SHA256, 32, "sha256-", DOC, true);
    char *s384 = sri(MOBID_HASH_SHA384, 48, "sha384-", DOC, false);
    char *other = sri(MOBID_HASH_SHA256, 32, "sha256-", DOC " ", true);
    char both[400];
    mobid_view doc = mobid_view_str(DOC);
    assert_int_equal(mobid_sdjwt_integrity_check(doc, s256), MOBID_OK);
    assert_int_equal(mobid_sdjwt_integrity_check(doc, s384), MOBID_OK); /* no padding */
    snprintf(both, sizeof both, "md5-abc %s  %s", other, s384);
    assert_int_equal(mobid_sdjwt_integrity_check(doc, both), MOBID_OK); /* one of them */
    assert_int_equal(mobid_sdjwt_integrity_check(doc, other), MOBID_ERR_DIGEST_MISMATCH);
    assert_int_equal(mobid_sdjwt_integrity_check(mobid_view_str(DOC " "), s256),
                     MOBID_ERR_DIGEST_MISMATCH);
    assert_int_equal(mobid_sdjwt_integrity_check(doc, "md5-abc"), MOBID_ERR_MALFORMED);
    assert_int_equal(mobid_sdjwt_integrity_check(doc, ""), MOBID_ERR_MALFORMED);
    assert_int_equal(mobid_sdjwt_integrity_check(doc, "sha256-"), MOBID_ERR_MALFORMED);
    free(s256);
    free(s384);
    free(other);
}

static void test_document(void **state)
{
    (void)state;
    json_t *out = NULL;
    assert_int_equal(mobid_sdjwt_type_metadata_check(mobid_view_str(DOC), VCT, NULL, &out), MOBID_OK);
    assert_string_equal(json_string_value(json_object_get(out, "name")), "Resident card");
    json_decref(out);
    assert_int_equal(mobid_sdjwt_type_metadata_check(mobid_view_str(DOC), VCT "x", NULL, &out),
                     MOBID_ERR_ISSUER_METADATA_INVALID);
    assert_null(out);
    assert_int_equal(mobid_sdjwt_type_metadata_check(mobid_view_str("[1]"), VCT, NULL, &out),
                     MOBID_ERR_ISSUER_METADATA_INVALID);
    assert_int_equal(mobid_sdjwt_type_metadata_check(mobid_view_str("{\"name\":\"x\"}"), VCT, NULL,
                                                     &out),
                     MOBID_ERR_ISSUER_METADATA_INVALID);
}

static void test_fetch_and_cache(void **state)
{
    (void)state;
    fake_web w = { .body = DOC };
    mobid_sdjwt_issuer_cache_opts o = { .fetch = fake_fetch, .ctx = &w, .ttl = 60 };
    mobid_sdjwt_issuer_cache *c = NULL;
    json_t *out = NULL;
    char detail[200] = "";
    char *good = sri(MOBID_HASH_SHA256, 32, "sha256-", DOC, true);
    char *bad = sri(MOBID_HASH_SHA256, 32, "sha256-", "{}", true);
    unsigned long fetches = 0, hits = 0;

    assert_int_equal(mobid_sdjwt_issuer_cache_new(&o, &c), MOBID_OK);
    assert_int_equal(mobid_sdjwt_type_metadata(c, VCT, good, TK_NOW, &out, detail, sizeof detail),
                     MOBID_OK);
    assert_string_equal(json_string_value(json_object_get(out, "vct")), VCT);
    json_decref(out);
    /* Within the TTL from the cache, and a later wrong integrity value is checked
     * against the bytes kept. */
    assert_int_equal(mobid_sdjwt_type_metadata(c, VCT, NULL, TK_NOW + 30, &out, NULL, 0), MOBID_OK);
    json_decref(out);
    assert_int_equal(mobid_sdjwt_type_metadata(c, VCT, bad, TK_NOW + 31, &out, detail, sizeof detail),
                     MOBID_ERR_DIGEST_MISMATCH);
    assert_null(out);
    assert_non_null(strstr(detail, "vct#integrity"));
    assert_int_equal(w.calls, 1);
    mobid_sdjwt_issuer_cache_stats(c, &fetches, &hits);
    assert_int_equal(fetches, 1);
    assert_int_equal(hits, 2);
    /* After the TTL the document is fetched again; a transport failure is FETCH_FAILED. */
    w.body = NULL;
    assert_int_equal(mobid_sdjwt_type_metadata(c, VCT, good, TK_NOW + 61, &out, detail, sizeof detail),
                     MOBID_ERR_FETCH_FAILED);
    assert_int_equal(w.calls, 2);
    assert_int_equal(mobid_sdjwt_type_metadata(c, "urn:x:1", NULL, TK_NOW, &out, detail, sizeof detail),
                     MOBID_ERR_ISSUER_METADATA_INVALID);
    assert_int_equal(mobid_sdjwt_type_metadata(c, VCT "#x", NULL, TK_NOW, &out, NULL, 0),
                     MOBID_ERR_ISSUER_METADATA_INVALID);
    mobid_sdjwt_issuer_cache_free(c);

    /* A document over the size limit. */
    w.body = DOC;
    o.max_bytes = 10;
    assert_int_equal(mobid_sdjwt_issuer_cache_new(&o, &c), MOBID_OK);
    assert_int_equal(mobid_sdjwt_type_metadata(c, VCT, NULL, TK_NOW, &out, detail, sizeof detail),
                     MOBID_ERR_TOO_BIG);
    mobid_sdjwt_issuer_cache_free(c);
    free(good);
    free(bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integrity),
        cmocka_unit_test(test_document),
        cmocka_unit_test(test_fetch_and_cache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
