/*
 * RFC 9901 §4.2 fixed-byte vectors, read at run time from
 * ../shared/vectors/sdjwt/rfc9901_disclosure_and_digest_vectors.md: the disclosures,
 * their whitespace/escaping variants and the exact digests.
 */
#include "testutil.h"

#include <mobid/crypto.h>
#include <mobid/jose.h>
#include <mobid/sdjwt.h>
#include <stdlib.h>
#include <string.h>

static mobid_buf doc;

/* Load the RFC text with tokens split as "`a`\<newline>`b`" joined into "`ab`". */
static int load(void **state)
{
    (void)state;
    if (!tu_vectors_dir())
        return 0;
    mobid_buf raw;
    tu_read_vector("sdjwt/rfc9901_disclosure_and_digest_vectors.md", &raw);
    mobid_buf_init(&doc, 0);
    for (size_t i = 0; i < raw.len; i++) {
        if (i + 3 < raw.len && !memcmp(raw.ptr + i, "`\\\n`", 4)) {
            i += 3;
            continue;
        }
        mobid_buf_append_byte(&doc, raw.ptr[i]);
    }
    mobid_buf_terminate(&doc);
    mobid_buf_free(&raw);
    return 0;
}

static int unload(void **state)
{
    (void)state;
    mobid_buf_free(&doc);
    return 0;
}

/* The n-th (0-based) backquoted token after anchor, copied into out (heap). */
static char *token_after(const char *anchor, int n)
{
    const char *p = strstr((const char *)doc.ptr, anchor);
    if (!p)
        fail_msg("anchor not found in the RFC text: %s", anchor);
    p += strlen(anchor);
    for (int k = 0;; k++) {
        const char *open = strchr(p, '`');
        const char *close = open ? strchr(open + 1, '`') : NULL;
        if (!close)
            fail_msg("no token after %s", anchor);
        if (k == n)
            return strndup(open + 1, (size_t)(close - open - 1));
        p = close + 1;
    }
}

static json_t *decode_disclosure(const char *d)
{
    mobid_buf bin;
    mobid_buf_init(&bin, 0);
    assert_int_equal(mobid_b64url_decode(mobid_view_str(d), &bin), MOBID_OK);
    json_t *j = NULL;
    assert_int_equal(mobid_json_parse(mobid_buf_view(&bin), 0, &j), MOBID_OK);
    mobid_buf_free(&bin);
    return j;
}

static void assert_digest(const char *disclosure, const char *want)
{
    mobid_buf d;
    mobid_buf_init(&d, 0);
    assert_int_equal(mobid_sdjwt_digest(MOBID_HASH_SHA256, mobid_view_str(disclosure), &d),
                     MOBID_OK);
    assert_int_equal(d.len, strlen(want));
    assert_memory_equal(d.ptr, want, d.len);
    mobid_buf_free(&d);
}

static void test_object_property(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    char *disc = token_after("The resulting Disclosure is:", 0);
    char *hashed = token_after("SHA-256 digest of the Disclosure", 0);
    char *digest = token_after("SHA-256 digest of the Disclosure", 2); /* after `family_name` */
    assert_string_equal(disc, hashed);
    assert_digest(disc, digest);
    json_t *arr = decode_disclosure(disc);
    assert_int_equal(json_array_size(arr), 3);
    assert_string_equal(json_string_value(json_array_get(arr, 1)), "family_name");
    /* Every variant encodes the same array; mobid's compact form is the no-whitespace one. */
    const char *anchors[] = { "unicode umlaut:", "No white space:", "between elements:" };
    for (int i = 0; i < 3; i++) {
        char *v = token_after(anchors[i], 0);
        json_t *alt = decode_disclosure(v);
        assert_true(json_equal(arr, alt));
        if (i == 1) {
            mobid_buf made;
            mobid_buf_init(&made, 0);
            assert_int_equal(mobid_sdjwt_disclosure_make(json_string_value(json_array_get(arr, 0)),
                                                         "family_name", json_array_get(arr, 2),
                                                         &made),
                             MOBID_OK);
            assert_true(mobid_view_eq_str(mobid_buf_view(&made), v));
            mobid_buf_free(&made);
        }
        json_decref(alt);
        free(v);
    }
    json_decref(arr);
    free(disc);
    free(hashed);
    free(digest);
}

static void test_array_element(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    char *disc = token_after("The resulting Disclosure would be:", 0);
    json_t *arr = decode_disclosure(disc);
    assert_int_equal(json_array_size(arr), 2);
    assert_string_equal(json_string_value(json_array_get(arr, 1)), "FR");
    /* The digest appears in the example payload as {"...":"<digest>"}. */
    const char *p = strstr((const char *)doc.ptr, "{\"...\":\"");
    assert_non_null(p);
    p += 8;
    char *digest = strndup(p, strcspn(p, "\""));
    assert_digest(disc, digest);
    free(digest);
    json_decref(arr);
    free(disc);
}

/* The RFC's example payloads, signed with a test key, processed with and without the
 * disclosures: the verifier output the RFC describes. */
static void test_examples_process(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    char *fam = token_after("The resulting Disclosure is:", 0);
    char *fam_digest = token_after("SHA-256 digest of the Disclosure", 2);
    char *fr = token_after("The resulting Disclosure would be:", 0);
    const char *p = strstr((const char *)doc.ptr, "{\"...\":\"") + 8;
    char *fr_digest = strndup(p, strcspn(p, "\""));
    mobid_key *k = NULL;
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &k), MOBID_OK);
    char payload[512];
    snprintf(payload, sizeof payload,
             "{\"given_name\":\"Alice\",\"_sd\":[\"%s\"],"
             "\"nationalities\":[\"DE\",{\"...\":\"%s\"},\"US\"]}",
             fam_digest, fr_digest);
    for (int with = 0; with < 2; with++) {
        mobid_buf pres;
        mobid_buf_init(&pres, 0);
        assert_int_equal(mobid_jws_sign(k, MOBID_ALG_ES256, NULL, mobid_view_str(payload), &pres),
                         MOBID_OK);
        mobid_buf_append_byte(&pres, '~');
        if (with) {
            mobid_buf_append_str(&pres, fam);
            mobid_buf_append_byte(&pres, '~');
            mobid_buf_append_str(&pres, fr);
            mobid_buf_append_byte(&pres, '~');
        }
        mobid_sdjwt_verify_opts o = { .issuer_key = k, .typ = "" };
        mobid_sdjwt_result res;
        assert_int_equal(mobid_sdjwt_verify(mobid_buf_view(&pres), &o, &res), MOBID_OK);
        const char *want = with ? "{\"given_name\":\"Alice\",\"family_name\":\"M\\u00f6bius\","
                                  "\"nationalities\":[\"DE\",\"FR\",\"US\"]}"
                                : "{\"given_name\":\"Alice\",\"nationalities\":[\"DE\",\"US\"]}";
        json_t *w = json_loads(want, 0, NULL);
        assert_true(json_equal(res.claims, w));
        json_decref(w);
        mobid_sdjwt_result_clear(&res);
        mobid_buf_free(&pres);
    }
    mobid_key_free(k);
    free(fam);
    free(fam_digest);
    free(fr);
    free(fr_digest);
}

int main(void)
{
    TU_MAIN_REQUIRE_VECTORS();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_object_property),
        cmocka_unit_test(test_array_element),
        cmocka_unit_test(test_examples_process),
    };
    return cmocka_run_group_tests(tests, load, unload);
}
