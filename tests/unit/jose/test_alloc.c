/* lib/jose under allocation failure: every operation, with the n-th allocation failing
 * for every n, returns MOBID_ERR_NOMEM (never crashes, never leaks — the ASan build
 * checks that) until it has enough memory to succeed. jansson is pointed at the same
 * failing allocator for this test. One exception, jansson's own: when its parser
 * cannot allocate a string it reports a syntax error, so MALFORMED is accepted exactly
 * when an allocation made by jansson failed. */
#include "testutil.h"

#include <mobid/jose.h>
#include <string.h>

static const char A3_JWS[] =
    "eyJhbGciOiJFUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
static const char A3_JWK[] = "{\"kty\":\"EC\",\"crv\":\"P-256\","
                             "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
                             "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\","
                             "\"d\":\"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI\"}";
static const mobid_alg ES256[] = { MOBID_ALG_ES256, MOBID_ALG_NONE };

static mobid_key *key;
static bool json_alloc_failed;

static void *json_alloc(size_t n)
{
    void *p = mobid_malloc(n);
    if (!p)
        json_alloc_failed = true;
    return p;
}
static char *jwe; /* a JWE to `key`, made before failures start */

typedef mobid_err (*op_fn)(void);

static mobid_err op_jws_verify(void)
{
    mobid_jws jws;
    mobid_err err = mobid_jws_parse(mobid_view_str(A3_JWS), &jws);
    if (err == MOBID_OK)
        err = mobid_jws_verify(&jws, key, ES256);
    mobid_jws_clear(&jws);
    return err;
}

static mobid_err op_jws_sign(void)
{
    mobid_buf out;
    mobid_buf_init(&out, 0);
    json_t *extra = json_pack("{s:s,s:[s,s]}", "typ", "dc+sd-jwt", "x5c", "AAAA", "BBBB");
    mobid_err err = extra ? mobid_jws_sign(key, MOBID_ALG_ES256, extra,
                                           mobid_view_str("{\"a\":1}"), &out)
                          : MOBID_ERR_NOMEM;
    json_decref(extra);
    mobid_buf_free(&out);
    return err;
}

static mobid_err op_jwk(void)
{
    mobid_key *k = NULL;
    json_t *j = NULL;
    mobid_buf tp;
    mobid_buf_init(&tp, 0);
    mobid_err err = mobid_jwk_parse(mobid_view_str(A3_JWK), &k);
    if (err == MOBID_OK)
        err = mobid_jwk_from_key(k, true, &j);
    if (err == MOBID_OK)
        err = mobid_jwk_thumbprint_b64url(j, &tp);
    if (err == MOBID_OK)
        err = mobid_jwk_thumbprint_key(k, &tp);
    json_decref(j);
    mobid_key_free(k);
    mobid_buf_free(&tp);
    return err;
}

static mobid_err op_jwe_encrypt(void)
{
    mobid_jwe_params p = { 0 };
    p.enc = MOBID_JWE_A256GCM;
    p.apu = mobid_view_str("Alice");
    p.kid = "k";
    mobid_buf out;
    mobid_buf_init(&out, 0);
    mobid_err err = mobid_jwe_encrypt(key, &p, mobid_view_str("plaintext"), &out);
    mobid_buf_free(&out);
    return err;
}

static mobid_err op_jwe_decrypt(void)
{
    mobid_buf pt;
    json_t *hdr = NULL;
    mobid_buf_init(&pt, 0);
    mobid_err err = mobid_jwe_decrypt(mobid_view_str(jwe), key, &hdr, &pt);
    if (err == MOBID_OK && !mobid_view_eq_str(mobid_buf_view(&pt), "plaintext"))
        err = MOBID_ERR_INVALID_ARG;
    json_decref(hdr);
    mobid_buf_free(&pt);
    return err;
}

static void walk(op_fn op, const char *name)
{
    long n = 0;
    for (;; n++) {
        json_alloc_failed = false;
        mobid_alloc_fail_after(n);
        mobid_err err = op();
        mobid_alloc_fail_after(-1);
        if (err == MOBID_OK)
            break;
        if (err == MOBID_ERR_MALFORMED && json_alloc_failed)
            continue;
        if (err != MOBID_ERR_NOMEM)
            fail_msg("%s: allocation %ld failing gave %s, not NOMEM", name, n, mobid_err_name(err));
        assert_true(n < 10000);
    }
    print_message("%s: succeeded once %ld allocations could succeed\n", name, n);
    assert_true(n > 0); /* the walk really exercised failing allocations */
}

static int setup(void **state)
{
    (void)state;
    json_set_alloc_funcs(json_alloc, mobid_free);
    assert_int_equal(mobid_jwk_parse(mobid_view_str(A3_JWK), &key), MOBID_OK);
    mobid_jwe_params p = { 0 };
    p.enc = MOBID_JWE_A128GCM;
    mobid_buf out;
    mobid_buf_init(&out, 0);
    assert_int_equal(mobid_jwe_encrypt(key, &p, mobid_view_str("plaintext"), &out), MOBID_OK);
    jwe = mobid_buf_detach_str(&out);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mobid_key_free(key);
    free(jwe);
    return 0;
}

static void test_jws_verify(void **state) { (void)state; walk(op_jws_verify, "jws verify"); }
static void test_jws_sign(void **state) { (void)state; walk(op_jws_sign, "jws sign"); }
static void test_jwk(void **state) { (void)state; walk(op_jwk, "jwk"); }
static void test_jwe_encrypt(void **state) { (void)state; walk(op_jwe_encrypt, "jwe encrypt"); }
static void test_jwe_decrypt(void **state) { (void)state; walk(op_jwe_decrypt, "jwe decrypt"); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jws_verify), cmocka_unit_test(test_jws_sign),
        cmocka_unit_test(test_jwk),        cmocka_unit_test(test_jwe_encrypt),
        cmocka_unit_test(test_jwe_decrypt),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
