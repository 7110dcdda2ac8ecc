/* Known-bad JWS inputs: each must fail with its specific error, never verify. */
#include "testutil.h"

#include <mobid/jose.h>
#include <string.h>

static const mobid_alg ES256_ONLY[] = { MOBID_ALG_ES256, MOBID_ALG_NONE };

/* b64url(header) '.' b64url(payload) '.' b64url(sig) as a heap string. */
static char *make_jws(mobid_view header, const char *payload, mobid_view sig)
{
    mobid_buf b;
    mobid_buf_init(&b, 0);
    assert_int_equal(mobid_b64url_encode(header, &b), MOBID_OK);
    assert_int_equal(mobid_buf_append_byte(&b, '.'), MOBID_OK);
    assert_int_equal(mobid_b64url_encode(mobid_view_str(payload), &b), MOBID_OK);
    assert_int_equal(mobid_buf_append_byte(&b, '.'), MOBID_OK);
    assert_int_equal(mobid_b64url_encode(sig, &b), MOBID_OK);
    return mobid_buf_detach_str(&b);
}

static mobid_err parse_str(const char *s)
{
    mobid_jws jws;
    mobid_err err = mobid_jws_parse(mobid_view_str(s), &jws);
    mobid_jws_clear(&jws);
    return err;
}

static mobid_err check(const char *s, const mobid_key *k, const mobid_alg *algs)
{
    mobid_jws jws;
    mobid_err err = mobid_jws_parse(mobid_view_str(s), &jws);
    if (err == MOBID_OK)
        err = mobid_jws_verify(&jws, k, algs);
    mobid_jws_clear(&jws);
    return err;
}

/* A correct ES256 JWS by a fresh P-256 key (returned through k). */
static char *good_es256(mobid_key **k)
{
    mobid_buf out;
    mobid_buf_init(&out, 0);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, k), MOBID_OK);
    assert_int_equal(mobid_jws_sign(*k, MOBID_ALG_ES256, NULL, mobid_view_str("{\"sub\":\"x\"}"),
                                    &out),
                     MOBID_OK);
    return mobid_buf_detach_str(&out);
}

static void test_alg_none(void **state)
{
    (void)state;
    mobid_key *k = NULL;
    free(good_es256(&k));
    const char *hdrs[] = { "{\"alg\":\"none\"}", "{\"alg\":\"None\"}", "{\"alg\":\"NONE\"}",
                           "{\"alg\":\"\"}" };
    for (size_t i = 0; i < sizeof hdrs / sizeof hdrs[0]; i++) {
        char *s = make_jws(mobid_view_str(hdrs[i]), "{\"sub\":\"x\"}", mobid_view_make(NULL, 0));
        assert_int_equal(check(s, k, mobid_jose_algs_all), MOBID_ERR_ALG_NOT_ALLOWED);
        assert_int_equal(check(s, k, ES256_ONLY), MOBID_ERR_ALG_NOT_ALLOWED);
        free(s);
    }
    mobid_key_free(k);
}

/* The classic confusion: HS256 keyed with the issuer's public key bytes (PEM, SPKI,
 * SEC1 point). There is no code path that computes an HMAC for a JWS. */
static void test_hs256_with_public_key(void **state)
{
    (void)state;
    mobid_key *k = NULL;
    free(good_es256(&k));
    mobid_buf secrets[3];
    for (int i = 0; i < 3; i++)
        mobid_buf_init(&secrets[i], 0);
    assert_int_equal(mobid_key_to_pem(k, false, &secrets[0]), MOBID_OK);
    assert_int_equal(mobid_key_to_spki_der(k, &secrets[1]), MOBID_OK);
    assert_int_equal(mobid_buf_append_byte(&secrets[2], 4), MOBID_OK);
    assert_int_equal(mobid_key_to_coords(k, &secrets[2], &secrets[2], NULL), MOBID_OK);
    for (int i = 0; i < 3; i++) {
        const char *hdr = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
        char *unsigned_jws = make_jws(mobid_view_str(hdr), "{\"sub\":\"admin\"}",
                                      mobid_view_make(NULL, 0));
        mobid_view input = mobid_view_make(unsigned_jws, strlen(unsigned_jws) - 1);
        uint8_t mac[MOBID_HASH_MAX];
        assert_int_equal(mobid_hmac(MOBID_HASH_SHA256, mobid_buf_view(&secrets[i]), &input, 1, mac),
                         MOBID_OK);
        char *s = make_jws(mobid_view_str(hdr), "{\"sub\":\"admin\"}", mobid_view_make(mac, 32));
        assert_int_equal(check(s, k, mobid_jose_algs_all), MOBID_ERR_ALG_NOT_ALLOWED);
        assert_int_equal(check(s, k, ES256_ONLY), MOBID_ERR_ALG_NOT_ALLOWED);
        free(s);
        free(unsigned_jws);
        mobid_buf_free(&secrets[i]);
    }
    const char *others[] = { "HS384", "HS512", "RS256", "PS256", "ES256K", "Ed25519", NULL };
    for (size_t i = 0; others[i]; i++) {
        char hdr[64];
        snprintf(hdr, sizeof hdr, "{\"alg\":\"%s\"}", others[i]);
        uint8_t sig[64] = { 1 };
        char *s = make_jws(mobid_view_str(hdr), "{}", mobid_view_make(sig, sizeof sig));
        assert_int_equal(check(s, k, mobid_jose_algs_all), MOBID_ERR_ALG_NOT_ALLOWED);
        free(s);
    }
    mobid_key_free(k);
}

static void test_alg_key_mismatch(void **state)
{
    (void)state;
    mobid_key *k = NULL, *p384 = NULL, *ed = NULL, *x25519 = NULL;
    char *s = good_es256(&k);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P384, &p384), MOBID_OK);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_ED25519, &ed), MOBID_OK);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_X25519, &x25519), MOBID_OK);
    assert_int_equal(check(s, k, ES256_ONLY), MOBID_OK);
    assert_int_equal(check(s, p384, mobid_jose_algs_all), MOBID_ERR_KEY_INVALID);
    assert_int_equal(check(s, ed, mobid_jose_algs_all), MOBID_ERR_KEY_INVALID);
    assert_int_equal(check(s, x25519, mobid_jose_algs_all), MOBID_ERR_KEY_INVALID);
    /* Same signature bytes relabelled with another alg: refused by curve, not by luck. */
    const char *relabel[] = { "{\"alg\":\"ES384\"}", "{\"alg\":\"ES512\"}", "{\"alg\":\"EdDSA\"}" };
    mobid_jws jws;
    assert_int_equal(mobid_jws_parse(mobid_view_str(s), &jws), MOBID_OK);
    for (size_t i = 0; i < 3; i++) {
        char *r = make_jws(mobid_view_str(relabel[i]), "{\"sub\":\"x\"}", mobid_buf_view(&jws.sig));
        assert_int_equal(check(r, k, mobid_jose_algs_all), MOBID_ERR_KEY_INVALID);
        free(r);
    }
    /* EdDSA token, X25519 key of the same size: still not a signing key. */
    mobid_buf out;
    mobid_buf_init(&out, 0);
    assert_int_equal(mobid_jws_sign(ed, MOBID_ALG_EDDSA, NULL, mobid_view_str("p"), &out), MOBID_OK);
    assert_int_equal(mobid_buf_terminate(&out), MOBID_OK);
    assert_int_equal(check((const char *)out.ptr, x25519, mobid_jose_algs_all),
                     MOBID_ERR_KEY_INVALID);
    mobid_buf_free(&out);
    mobid_jws_clear(&jws);
    free(s);
    mobid_key_free(k);
    mobid_key_free(p384);
    mobid_key_free(ed);
    mobid_key_free(x25519);
}

static void test_bad_signatures(void **state)
{
    (void)state;
    mobid_key *k = NULL;
    char *s = good_es256(&k);
    mobid_jws jws;
    assert_int_equal(mobid_jws_parse(mobid_view_str(s), &jws), MOBID_OK);
    const char *hdr = "{\"alg\":\"ES256\"}";
    uint8_t zero[64] = { 0 };
    mobid_buf der;
    mobid_buf_init(&der, 0);
    assert_int_equal(mobid_ecdsa_raw_to_der(mobid_buf_view(&jws.sig), &der), MOBID_OK);
    /* Truncated, extended, empty, all zero, and the DER form of the right signature. */
    mobid_view sigs[] = { mobid_view_make(jws.sig.ptr, 63), mobid_view_make(NULL, 0),
                          mobid_view_make(zero, 64), mobid_buf_view(&der) };
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        char *r = make_jws(mobid_view_str(hdr), "{\"sub\":\"x\"}", sigs[i]);
        assert_int_equal(check(r, k, ES256_ONLY), MOBID_ERR_SIGNATURE_INVALID);
        free(r);
    }
    uint8_t longer[65];
    memcpy(longer, jws.sig.ptr, 64);
    longer[64] = 0;
    char *r = make_jws(mobid_view_str(hdr), "{\"sub\":\"x\"}", mobid_view_make(longer, 65));
    assert_int_equal(check(r, k, ES256_ONLY), MOBID_ERR_SIGNATURE_INVALID);
    free(r);
    mobid_buf_free(&der);
    mobid_jws_clear(&jws);
    free(s);
    mobid_key_free(k);
}

static void test_bad_base64url(void **state)
{
    (void)state;
    mobid_key *k = NULL;
    char *s = good_es256(&k);
    char *d1 = strchr(s, '.'), *d2 = strchr(d1 + 1, '.');
    size_t n = strlen(s);
    char buf[1024];
    assert_true(n + 4 < sizeof buf);
    /* Insert one byte at a position: padding and whitespace are never skipped. */
    const char inserts[] = { '=', ' ', '\n', '\r', '\t', '+', '/', '\0' };
    size_t positions[] = { 5, (size_t)(d1 - s) + 3, (size_t)(d2 - s) + 7, n };
    for (size_t i = 0; inserts[i]; i++)
        for (size_t j = 0; j < sizeof positions / sizeof positions[0]; j++) {
            size_t at = positions[j];
            memcpy(buf, s, at);
            buf[at] = inserts[i];
            memcpy(buf + at + 1, s + at, n - at + 1);
            assert_int_equal(parse_str(buf), MOBID_ERR_BAD_BASE64);
        }
    /* Standard-alphabet padding of a part: "YWI=" instead of "YWI". */
    char *p = make_jws(mobid_view_str("{\"alg\":\"ES256\"}"), "ab", mobid_view_make("x", 1));
    assert_int_equal(parse_str(p), MOBID_OK);
    snprintf(buf, sizeof buf, "eyJhbGciOiJFUzI1NiJ9.YWI=.eA");
    assert_int_equal(parse_str(buf), MOBID_ERR_BAD_BASE64);
    /* Non-zero trailing bits (a second spelling of the same bytes). */
    snprintf(buf, sizeof buf, "eyJhbGciOiJFUzI1NiJ9.YWJ.eA");
    assert_int_equal(parse_str(buf), MOBID_ERR_BAD_BASE64);
    /* A length of 1 mod 4. */
    snprintf(buf, sizeof buf, "eyJhbGciOiJFUzI1NiJ9.YWIxY.eA");
    assert_int_equal(parse_str(buf), MOBID_ERR_BAD_BASE64);
    free(p);
    free(s);
    mobid_key_free(k);
}

static void expect_header(const char *json, size_t len, mobid_err want)
{
    char *s = make_jws(mobid_view_make(json, len), "{}", mobid_view_make("sig", 3));
    assert_int_equal(parse_str(s), want);
    free(s);
}

static void test_bad_headers(void **state)
{
    (void)state;
    static const struct {
        const char *json;
        mobid_err want;
    } cases[] = {
        { "[]", MOBID_ERR_MALFORMED },
        { "[{\"alg\":\"ES256\"}]", MOBID_ERR_MALFORMED },
        { "\"ES256\"", MOBID_ERR_MALFORMED },
        { "1", MOBID_ERR_MALFORMED },
        { "null", MOBID_ERR_MALFORMED },
        { "true", MOBID_ERR_MALFORMED },
        { "", MOBID_ERR_MALFORMED },
        { "{", MOBID_ERR_MALFORMED },
        { "{}", MOBID_ERR_MALFORMED },
        { "{\"alg\":1}", MOBID_ERR_MALFORMED },
        { "{\"alg\":null}", MOBID_ERR_MALFORMED },
        { "{\"alg\":[\"ES256\"]}", MOBID_ERR_MALFORMED },
        { "{\"alg\":\"ES256\"}x", MOBID_ERR_MALFORMED },
        { "{\"alg\":\"ES256\"}{}", MOBID_ERR_MALFORMED },
        { "{\"alg\":\"ES256\",\"alg\":\"ES256\"}", MOBID_ERR_MALFORMED },
        { "{\"alg\":\"none\",\"alg\":\"ES256\"}", MOBID_ERR_MALFORMED },
        { "{\"alg\":\"ES256\",\"kid\":\"a\",\"kid\":\"b\"}", MOBID_ERR_MALFORMED },
        { "{\"alg\":\"ES256\",\"x\":{\"a\":1,\"a\":2}}", MOBID_ERR_MALFORMED },
        { "{\"alg\":\"ES256\",\"kid\":\"\\u0000\"}", MOBID_ERR_MALFORMED },
        { "{\"alg\":\"ES256\",\"kid\":\"\xff\"}", MOBID_ERR_MALFORMED },
        { "{\"alg\":\"ES256\",\"kid\":\"\xc0\xaf\"}", MOBID_ERR_MALFORMED },
        { "{'alg':'ES256'}", MOBID_ERR_MALFORMED },
        { "{\"alg\":\"ES256\",}", MOBID_ERR_MALFORMED },
        { "{\"alg\":\"ES256\",\"crit\":[\"b64\"],\"b64\":false}", MOBID_ERR_CRITICAL_HEADER },
        { "{\"alg\":\"ES256\",\"crit\":[]}", MOBID_ERR_CRITICAL_HEADER },
        { "{\"alg\":\"ES256\",\"crit\":[\"exp\"],\"exp\":1}", MOBID_ERR_CRITICAL_HEADER },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_header(cases[i].json, strlen(cases[i].json), cases[i].want);
    /* A raw NUL inside the header bytes. */
    expect_header("{\"alg\":\"ES256\"}\0", 16, MOBID_ERR_MALFORMED);
    /* 3000-deep nesting: past the JSON parser's depth limit, refused cleanly. */
    size_t depth = 3000;
    char *deep = malloc(2 * depth + 32);
    assert_non_null(deep);
    size_t o = (size_t)sprintf(deep, "{\"alg\":\"ES256\",\"x\":");
    memset(deep + o, '[', depth);
    memset(deep + o + depth, ']', depth);
    deep[o + 2 * depth] = '}';
    expect_header(deep, o + 2 * depth + 1, MOBID_ERR_MALFORMED);
    free(deep);
}

static void test_bad_structure(void **state)
{
    (void)state;
    const char *cases[] = { "", ".", "..", "...", "eyJhbGciOiJFUzI1NiJ9",
                            "eyJhbGciOiJFUzI1NiJ9.e30", "eyJhbGciOiJFUzI1NiJ9.e30.eA.eA",
                            "eyJhbGciOiJFUzI1NiJ9.e30.eA.", ".e30.eA" };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(parse_str(cases[i]), MOBID_ERR_MALFORMED);
    /* JWE-shaped input is not a JWS. */
    assert_int_equal(parse_str("eyJhbGciOiJFUzI1NiJ9..AAAA.AAAA.AAAA"), MOBID_ERR_MALFORMED);
    mobid_jws jws;
    assert_int_equal(mobid_jws_parse(mobid_view_make(NULL, 5), &jws), MOBID_ERR_INVALID_ARG);
    assert_int_equal(mobid_jws_parse(mobid_view_str("x"), NULL), MOBID_ERR_INVALID_ARG);
    assert_int_equal(mobid_jws_verify(NULL, NULL, mobid_jose_algs_all), MOBID_ERR_INVALID_ARG);
}

static void test_oversized(void **state)
{
    (void)state;
    /* One byte over the compact limit, otherwise well formed. */
    size_t n = MOBID_JOSE_MAX_COMPACT + 1;
    char *big = malloc(n + 1);
    assert_non_null(big);
    const char *head = "eyJhbGciOiJFUzI1NiJ9.";
    memcpy(big, head, strlen(head));
    memset(big + strlen(head), 'A', n - strlen(head));
    big[n - 3] = '.';
    big[n] = 0;
    mobid_jws jws;
    assert_int_equal(mobid_jws_parse(mobid_view_make(big, n), &jws), MOBID_ERR_TOO_BIG);
    /* A header over MOBID_JOSE_MAX_HEADER once decoded. */
    size_t hn = MOBID_JOSE_MAX_HEADER + 16;
    char *hdr = malloc(hn);
    assert_non_null(hdr);
    memset(hdr, ' ', hn);
    memcpy(hdr, "{\"alg\":\"ES256\"", 14);
    hdr[hn - 1] = '}';
    char *s = make_jws(mobid_view_make(hdr, hn), "{}", mobid_view_make("x", 1));
    assert_int_equal(parse_str(s), MOBID_ERR_TOO_BIG);
    free(s);
    /* The same header just under the limit parses. */
    memset(hdr + 14, ' ', hn - 14);
    hn = MOBID_JOSE_MAX_HEADER - 8;
    hdr[hn - 1] = '}';
    s = make_jws(mobid_view_make(hdr, hn), "{}", mobid_view_make("x", 1));
    assert_int_equal(parse_str(s), MOBID_OK);
    free(s);
    free(hdr);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alg_none),       cmocka_unit_test(test_hs256_with_public_key),
        cmocka_unit_test(test_alg_key_mismatch), cmocka_unit_test(test_bad_signatures),
        cmocka_unit_test(test_bad_base64url),  cmocka_unit_test(test_bad_headers),
        cmocka_unit_test(test_bad_structure),  cmocka_unit_test(test_oversized),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
