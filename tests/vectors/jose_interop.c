/* JWS from other implementations, read from ../shared/vectors at run time:
 * - the SD-JWT VC in the OpenID4VCI credential response example, signed with the
 *   sd-jwt-python issuer key of sdjwt/settings.yml (JSON with spaces in the header);
 * - the ISO 18013-5 Annex D server-retrieval JWS (EUDI iOS test data) with an x5c
 *   leaf that chains to the Annex D IACA. */
#include "testutil.h"

#include <mobid/jose.h>
#include <stdio.h>
#include <string.h>

static const mobid_alg ES256[] = { MOBID_ALG_ES256, MOBID_ALG_NONE };

/* The value of the first `name: VALUE` line (list dashes and indentation allowed) after
 * the text `after` in a YAML file, copied into out. */
static void yaml_value(const char *text, const char *after, const char *name, char *out,
                       size_t cap)
{
    const char *p = strstr(text, after);
    assert_non_null(p);
    for (p = strchr(p, '\n'); p; p = strchr(p + 1, '\n')) {
        const char *q = p + 1;
        while (*q == ' ' || *q == '-')
            q++;
        size_t n = strlen(name);
        if (!strncmp(q, name, n) && q[n] == ':') {
            q += n + 1;
            while (*q == ' ')
                q++;
            size_t len = strcspn(q, " \r\n");
            assert_true(len < cap);
            memcpy(out, q, len);
            out[len] = 0;
            return;
        }
    }
    fail_msg("no %s after %s", name, after);
}

static mobid_key *issuer_key_from_settings(void)
{
    mobid_buf yml;
    tu_read_vector("sdjwt/settings.yml", &yml);
    char x[64], y[64], jwk[256];
    yaml_value((const char *)yml.ptr, "issuer_keys:", "x", x, sizeof x);
    yaml_value((const char *)yml.ptr, "issuer_keys:", "y", y, sizeof y);
    snprintf(jwk, sizeof jwk, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"}", x, y);
    mobid_key *k = NULL;
    assert_int_equal(mobid_jwk_parse(mobid_view_str(jwk), &k), MOBID_OK);
    mobid_buf_free(&yml);
    return k;
}

/* The issuer-signed JWT of the first "credential" in the HTTP response example: the
 * string is folded over lines there, so whitespace is dropped. */
static char *credential_jwt(void)
{
    mobid_buf text;
    tu_read_vector("oid4vc/credential_response_sd_jwt_vc.txt", &text);
    const char *p = strstr((const char *)text.ptr, "\"credential\": \"");
    assert_non_null(p);
    p += strlen("\"credential\": \"");
    char *out = malloc(text.len);
    assert_non_null(out);
    size_t n = 0;
    for (; *p && *p != '"' && *p != '~'; p++)
        if (!strchr(" \t\r\n", *p))
            out[n++] = *p;
    out[n] = 0;
    mobid_buf_free(&text);
    return out;
}

static void test_sdjwt_vc_issuer_jwt(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    mobid_key *issuer = issuer_key_from_settings();
    char *jwt = credential_jwt();
    mobid_jws jws;
    assert_int_equal(mobid_jws_parse(mobid_view_str(jwt), &jws), MOBID_OK);
    assert_string_equal(json_string_value(json_object_get(jws.header, "typ")), "dc+sd-jwt");
    assert_int_equal(mobid_jws_verify(&jws, issuer, ES256), MOBID_OK);
    /* The holder key in cnf.jwk imports and gives a stable thumbprint. */
    json_t *claims = NULL;
    assert_int_equal(mobid_json_parse(mobid_buf_view(&jws.payload), 0, &claims), MOBID_OK);
    json_t *cnf_jwk = json_object_get(json_object_get(claims, "cnf"), "jwk");
    mobid_key *holder = NULL;
    assert_int_equal(mobid_jwk_to_key(cnf_jwk, &holder), MOBID_OK);
    mobid_buf a, b;
    mobid_buf_init(&a, 0);
    mobid_buf_init(&b, 0);
    assert_int_equal(mobid_jwk_thumbprint_b64url(cnf_jwk, &a), MOBID_OK);
    assert_int_equal(mobid_jwk_thumbprint_key(holder, &b), MOBID_OK);
    assert_true(mobid_view_eq(mobid_buf_view(&a), mobid_buf_view(&b)));
    /* Not the issuer: the holder key does not verify the issuer's signature. */
    assert_int_equal(mobid_jws_verify(&jws, holder, ES256), MOBID_ERR_SIGNATURE_INVALID);
    mobid_jws_clear(&jws);
    /* One changed payload character and the signature no longer holds. */
    char *dot = strchr(jwt, '.');
    dot[5] = dot[5] == 'A' ? 'B' : 'A';
    assert_int_equal(mobid_jws_parse(mobid_view_str(jwt), &jws), MOBID_OK);
    assert_int_equal(mobid_jws_verify(&jws, issuer, ES256), MOBID_ERR_SIGNATURE_INVALID);
    mobid_jws_clear(&jws);
    mobid_buf_free(&a);
    mobid_buf_free(&b);
    json_decref(claims);
    mobid_key_free(holder);
    mobid_key_free(issuer);
    free(jwt);
}

static void test_annexd_server_retrieval_jws(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    mobid_buf text, iaca;
    tu_read_vector("mdoc/eudi_ios_annexD_server_retrieval_jws.txt", &text);
    tu_read_vector_hex("mdoc/eudi_ios_annexD_d52_iaca.hex", &iaca);
    while (text.len && strchr(" \r\n", text.ptr[text.len - 1]))
        text.len--;
    mobid_jws jws;
    assert_int_equal(mobid_jws_parse(mobid_buf_view(&text), &jws), MOBID_OK);
    assert_int_equal(jws.alg, MOBID_ALG_ES256);
    mobid_cert **chain = NULL;
    size_t n = 0;
    assert_int_equal(mobid_jose_header_x5c(jws.header, &chain, &n), MOBID_OK);
    assert_int_equal(n, 1);
    mobid_key *leaf = NULL;
    assert_int_equal(mobid_cert_public_key(chain[0], &leaf), MOBID_OK);
    assert_int_equal(mobid_jws_verify(&jws, leaf, ES256), MOBID_OK);
    /* The leaf chains to the Annex D IACA while both are valid, not after. */
    mobid_trust *trust = NULL;
    assert_int_equal(mobid_trust_new(&trust), MOBID_OK);
    assert_int_equal(mobid_trust_add_pem(trust, mobid_buf_view(&iaca)), MOBID_OK);
    mobid_time at = 0;
    assert_int_equal(mobid_time_parse_rfc3339(mobid_view_str("2020-10-01T13:30:02Z"), &at, NULL),
                     MOBID_OK);
    assert_int_equal(mobid_trust_verify_chain(trust, chain, n, at, MOBID_PURPOSE_ANY), MOBID_OK);
    assert_int_equal(mobid_trust_verify_chain(trust, chain, n, at + 400 * 86400, MOBID_PURPOSE_ANY),
                     MOBID_ERR_CERT_EXPIRED);
    mobid_trust_free(trust);
    mobid_key_free(leaf);
    mobid_cert_list_free(chain, n);
    mobid_jws_clear(&jws);
    mobid_buf_free(&iaca);
    mobid_buf_free(&text);
}

int main(void)
{
    TU_MAIN_REQUIRE_VECTORS();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sdjwt_vc_issuer_jwt),
        cmocka_unit_test(test_annexd_server_retrieval_jws),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
