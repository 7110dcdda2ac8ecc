/*
 * lib/oid4vp: a request signer writes, around each session's values, the parts its
 * access certificate shares. Its request objects are byte for byte those of
 * jansson objects with the same members in the same order (built here as the
 * verifier used to build them), whatever the strings hold, and each verifies as a
 * wallet verifies it, with its own session's values and nothing of another's.
 */
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include <mobid/jose.h>
#include <mobid/oid4vp.h>

static mobid_key *ca_key, *rp_key;
static mobid_cert *ca_cert, *rp_cert;
static mobid_trust *trust;
static json_t *query;

static const char *REGISTRATION = "eyJhbGciOiJFUzI1NiJ9.eyJyZWciOjF9.c2ln";

static int setup(void **state)
{
    (void)state;
    mobid_cert_spec s = { 0 };
    s.subject_cn = "CA";
    s.not_before = mobid_now() - 60;
    s.not_after = mobid_now() + 86400;
    s.is_ca = true;
    s.path_len = 1;
    s.purpose = MOBID_PURPOSE_ANY;
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &ca_key), MOBID_OK);
    assert_int_equal(mobid_cert_issue(&s, ca_key, ca_key, NULL, &ca_cert), MOBID_OK);
    s.subject_cn = "RP";
    s.is_ca = false;
    s.path_len = 0;
    s.purpose = MOBID_PURPOSE_SIGNING;
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &rp_key), MOBID_OK);
    assert_int_equal(mobid_cert_issue(&s, rp_key, ca_key, ca_cert, &rp_cert), MOBID_OK);
    assert_int_equal(mobid_trust_new(&trust), MOBID_OK);
    assert_int_equal(mobid_trust_add(trust, ca_cert), MOBID_OK);
    query = json_loads("{\"credentials\":[{\"id\":\"c\",\"format\":\"dc+sd-jwt\",\"meta\":"
                       "{\"vct_values\":[\"urn:x\"]},\"claims\":[{\"path\":[\"given_name\"]}]}]}",
                       0, NULL);
    assert_non_null(query);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mobid_key_free(ca_key);
    mobid_key_free(rp_key);
    mobid_cert_free(ca_cert);
    mobid_cert_free(rp_cert);
    mobid_trust_free(trust);
    json_decref(query);
    return 0;
}

static mobid_oid4vp_request_params params(const char *uri, const char *nonce, const char *st,
                                          const mobid_key *enc)
{
    mobid_oid4vp_request_params p = { 0 };
    p.response_uri = uri;
    p.nonce = nonce;
    p.state = st;
    p.dcql_query = query;
    p.encrypted = enc != NULL;
    p.enc_key = enc;
    p.iat = 1764790000;
    p.exp = 1764790300;
    return p;
}

/* The payload as jansson writes it, members in the order the verifier always used. */
static char *reference_payload(const mobid_oid4vp_request_params *p, const char *reg)
{
    mobid_buf cid, kid, text;
    json_t *jwk = NULL;
    mobid_buf_init(&cid, 0);
    mobid_buf_init(&kid, 0);
    mobid_buf_init(&text, 0);
    assert_int_equal(mobid_oid4vp_client_id(rp_cert, &cid), MOBID_OK);
    assert_int_equal(mobid_buf_terminate(&cid), MOBID_OK);
    json_t *md = json_pack(
        "{s:{s:{s:[i,i,i], s:[i,i,i]}, s:{s:[s,s,s], s:[s,s,s]}}}", "vp_formats_supported",
        "mso_mdoc", "issuerauth_alg_values", -7, -35, -36, "deviceauth_alg_values", -7, -35, -36,
        "dc+sd-jwt", "sd-jwt_alg_values", "ES256", "ES384", "ES512", "kb-jwt_alg_values", "ES256",
        "ES384", "ES512");
    if (p->encrypted) {
        assert_int_equal(mobid_jwk_from_key(p->enc_key, false, &jwk), MOBID_OK);
        assert_int_equal(mobid_jwk_thumbprint_key(p->enc_key, &kid), MOBID_OK);
        assert_int_equal(mobid_buf_terminate(&kid), MOBID_OK);
        json_object_set_new(jwk, "use", json_string("enc"));
        json_object_set_new(jwk, "alg", json_string("ECDH-ES"));
        json_object_set_new(jwk, "kid", json_string((char *)kid.ptr));
        json_object_set_new(md, "jwks", json_pack("{s:[o]}", "keys", jwk));
        json_object_set_new(md, "encrypted_response_enc_values_supported",
                            json_pack("[s,s]", "A128GCM", "A256GCM"));
    }
    json_t *pl = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:O, s:o, s:I, s:I, s:s}", "iss",
                           (char *)cid.ptr, "aud", "https://self-issued.me/v2", "client_id",
                           (char *)cid.ptr, "response_type", "vp_token", "response_mode",
                           p->encrypted ? "direct_post.jwt" : "direct_post", "response_uri",
                           p->response_uri, "nonce", p->nonce, "dcql_query", p->dcql_query,
                           "client_metadata", md, "iat", (json_int_t)p->iat, "exp",
                           (json_int_t)p->exp, "state", p->state);
    assert_non_null(pl);
    if (reg)
        json_object_set_new(pl, "verifier_info",
                            json_pack("[{s:s, s:s}]", "format", "jwt", "data", reg));
    assert_int_equal(mobid_json_dump(pl, false, &text), MOBID_OK);
    assert_int_equal(mobid_buf_terminate(&text), MOBID_OK);
    json_decref(pl);
    mobid_buf_free(&cid);
    mobid_buf_free(&kid);
    return mobid_buf_detach_str(&text);
}

static char *reference_header(void)
{
    json_t *x5c = NULL;
    mobid_buf text;
    mobid_buf_init(&text, 0);
    assert_int_equal(mobid_jose_x5c_from_certs(&rp_cert, 1, &x5c), MOBID_OK);
    json_t *h = json_pack("{s:s, s:s, s:o}", "alg", "ES256", "typ", "oauth-authz-req+jwt", "x5c",
                          x5c);
    assert_int_equal(mobid_json_dump(h, false, &text), MOBID_OK);
    assert_int_equal(mobid_buf_terminate(&text), MOBID_OK);
    json_decref(h);
    return mobid_buf_detach_str(&text);
}

/* The decoded part i (0 header, 1 payload) of a compact JWS, NUL-terminated. */
static char *part(const mobid_buf *jwt, int i)
{
    const char *s = (const char *)jwt->ptr, *dot1 = memchr(s, '.', jwt->len);
    assert_non_null(dot1);
    const char *dot2 = memchr(dot1 + 1, '.', jwt->len - (size_t)(dot1 + 1 - s));
    assert_non_null(dot2);
    mobid_view v = i ? mobid_view_make(dot1 + 1, (size_t)(dot2 - dot1 - 1))
                     : mobid_view_make(s, (size_t)(dot1 - s));
    mobid_buf out;
    mobid_buf_init(&out, 0);
    assert_int_equal(mobid_b64url_decode(v, &out), MOBID_OK);
    assert_int_equal(mobid_buf_terminate(&out), MOBID_OK);
    return mobid_buf_detach_str(&out);
}

static void expect_same_bytes(const mobid_oid4vp_request_signer *s,
                              const mobid_oid4vp_request_params *p, const char *reg)
{
    mobid_buf jwt;
    mobid_buf_init(&jwt, 0);
    assert_int_equal(mobid_oid4vp_request_sign_with(s, p, &jwt), MOBID_OK);
    char *hdr = part(&jwt, 0), *pl = part(&jwt, 1);
    char *want_hdr = reference_header(), *want_pl = reference_payload(p, reg);
    assert_string_equal(hdr, want_hdr);
    assert_string_equal(pl, want_pl);
    free(hdr);
    free(pl);
    free(want_hdr);
    free(want_pl);
    mobid_buf_free(&jwt);
}

static void test_same_bytes(void **state)
{
    (void)state;
    mobid_oid4vp_request_signer *s = NULL, *plain = NULL;
    mobid_key *enc = NULL;
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &enc), MOBID_OK);
    assert_int_equal(mobid_oid4vp_request_signer_new(rp_key, &rp_cert, 1, REGISTRATION, &s),
                     MOBID_OK);
    assert_int_equal(mobid_oid4vp_request_signer_new(rp_key, &rp_cert, 1, NULL, &plain), MOBID_OK);
    mobid_oid4vp_request_params p =
        params("https://rp.example/oid4vp/response/abc", "n-0S6_WzA2Mj-0123456789abcdef", "st",
               enc);
    expect_same_bytes(s, &p, REGISTRATION);
    expect_same_bytes(plain, &p, NULL);
    p.encrypted = false;
    expect_same_bytes(s, &p, REGISTRATION);
    /* strings that need escaping, and UTF-8 that needs none */
    p = params("https://rp.example/r?a=\"b\"&c=\\d/\xc3\xa9", "nonce\twith\ncontrol\x01\x1f-chars",
               "st\"ate\b\f\r\x7f\xea\xb0\x80", enc);
    expect_same_bytes(s, &p, REGISTRATION);
    mobid_oid4vp_request_signer_free(s);
    mobid_oid4vp_request_signer_free(plain);
    mobid_key_free(enc);
}

/* One signer, two sessions: each request object verifies and carries its own values. */
static void test_sessions_apart(void **state)
{
    (void)state;
    mobid_oid4vp_request_signer *s = NULL;
    mobid_key *enc[2] = { NULL, NULL };
    const char *nonces[2] = { "nonce-one-0123456789abcdef", "nonce-two-0123456789abcdef" };
    const char *states[2] = { "state-one", "state-two" };
    assert_int_equal(mobid_oid4vp_request_signer_new(rp_key, &rp_cert, 1, NULL, &s), MOBID_OK);
    for (int i = 0; i < 2; i++) {
        mobid_buf jwt;
        mobid_oid4vp_request r;
        mobid_buf_init(&jwt, 0);
        assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &enc[i]), MOBID_OK);
        mobid_oid4vp_request_params p =
            params(i ? "https://rp.example/r/2" : "https://rp.example/r/1", nonces[i], states[i],
                   enc[i]);
        p.iat = mobid_now();
        p.exp = p.iat + 60;
        assert_int_equal(mobid_oid4vp_request_sign_with(s, &p, &jwt), MOBID_OK);
        assert_int_equal(mobid_oid4vp_request_verify(mobid_buf_view(&jwt), trust, NULL, 0, &r),
                         MOBID_OK);
        assert_string_equal(r.nonce, nonces[i]);
        assert_string_equal(r.state, states[i]);
        assert_string_equal(r.response_uri, p.response_uri);
        assert_true(r.encrypted);
        assert_true(mobid_key_public_eq(r.enc_key, enc[i]));
        assert_false(mobid_key_public_eq(r.enc_key, enc[1 - i]) && enc[1 - i]);
        mobid_oid4vp_request_clear(&r);
        /* a changed byte of the payload breaks the signature */
        char *dot = memchr(jwt.ptr, '.', jwt.len);
        dot[5] = dot[5] == 'A' ? 'B' : 'A';
        assert_int_not_equal(mobid_oid4vp_request_verify(mobid_buf_view(&jwt), trust, NULL, 0, &r),
                             MOBID_OK);
        mobid_buf_free(&jwt);
    }
    mobid_key_free(enc[0]);
    mobid_key_free(enc[1]);
    mobid_oid4vp_request_signer_free(s);
}

static void test_bad_input(void **state)
{
    (void)state;
    mobid_oid4vp_request_signer *s = NULL;
    mobid_key *pub = NULL;
    mobid_buf jwt;
    mobid_buf_init(&jwt, 0);
    json_t *jwk = NULL;
    assert_int_equal(mobid_jwk_from_key(rp_key, false, &jwk), MOBID_OK);
    assert_int_equal(mobid_jwk_to_key(jwk, &pub), MOBID_OK);
    json_decref(jwk);
    assert_false(mobid_key_has_private(pub));
    assert_int_equal(mobid_oid4vp_request_signer_new(pub, &rp_cert, 1, NULL, &s),
                     MOBID_ERR_INVALID_ARG);
    assert_null(s);
    assert_int_equal(mobid_oid4vp_request_signer_new(rp_key, &rp_cert, 0, NULL, &s),
                     MOBID_ERR_INVALID_ARG);
    assert_int_equal(mobid_oid4vp_request_signer_new(rp_key, &rp_cert, 1, NULL, &s), MOBID_OK);
    mobid_oid4vp_request_params p =
        params("https://rp.example/r", "n-0S6_WzA2Mj-0123456789abcdef", "st\xff", NULL);
    assert_int_equal(mobid_oid4vp_request_sign_with(s, &p, &jwt), MOBID_ERR_INVALID_ARG);
    p.state = "st";
    p.nonce = "short";
    assert_int_equal(mobid_oid4vp_request_sign_with(s, &p, &jwt), MOBID_ERR_INVALID_ARG);
    p.nonce = "n-0S6_WzA2Mj-0123456789abcdef";
    p.encrypted = true; /* no key */
    assert_int_equal(mobid_oid4vp_request_sign_with(s, &p, &jwt), MOBID_ERR_INVALID_ARG);
    assert_int_equal(mobid_oid4vp_request_sign_with(NULL, &p, &jwt), MOBID_ERR_INVALID_ARG);
    mobid_oid4vp_request_signer_free(s);
    mobid_key_free(pub);
    mobid_buf_free(&jwt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_bytes),
        cmocka_unit_test(test_sessions_apart),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
