/* Known-bad JWKs: off-curve points, wrong lengths, wrong members, mismatched d. */
#include "testutil.h"

#include <mobid/jose.h>
#include <string.h>

/* RFC 7515 A.3 P-256 key, a valid starting point for the mutations below. */
#define A3_X "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"
#define A3_Y "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"
#define A3_D "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"
/* RFC 8037 A.1 Ed25519 key. */
#define ED_X "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
#define ED_D "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"

static mobid_err parse_jwk(const char *text)
{
    static int sentinel;
    mobid_key *k = (mobid_key *)&sentinel; /* must come back NULL on failure */
    mobid_err err = mobid_jwk_parse(mobid_view_str(text), &k);
    if (err != MOBID_OK)
        assert_null(k);
    mobid_key_free(err == MOBID_OK ? k : NULL);
    return err;
}

/* An EC P-256 JWK with raw coordinates (d may be NULL). */
static mobid_err ec_raw(const uint8_t *x, size_t xl, const uint8_t *y, size_t yl,
                        const uint8_t *d, size_t dl)
{
    mobid_buf b;
    mobid_buf_init(&b, 0);
    mobid_buf_append_str(&b, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"");
    assert_int_equal(mobid_b64url_encode(mobid_view_make(x, xl), &b), MOBID_OK);
    mobid_buf_append_str(&b, "\",\"y\":\"");
    assert_int_equal(mobid_b64url_encode(mobid_view_make(y, yl), &b), MOBID_OK);
    if (d) {
        mobid_buf_append_str(&b, "\",\"d\":\"");
        assert_int_equal(mobid_b64url_encode(mobid_view_make(d, dl), &b), MOBID_OK);
    }
    mobid_buf_append_str(&b, "\"}");
    assert_int_equal(mobid_buf_terminate(&b), MOBID_OK);
    mobid_err err = parse_jwk((const char *)b.ptr);
    mobid_buf_free(&b);
    return err;
}

static void decode(const char *b64, uint8_t out[32])
{
    mobid_buf b;
    mobid_buf_init(&b, 0);
    assert_int_equal(mobid_b64url_decode(mobid_view_str(b64), &b), MOBID_OK);
    assert_int_equal(b.len, 32);
    memcpy(out, b.ptr, 32);
    mobid_buf_free(&b);
}

static void test_points(void **state)
{
    (void)state;
    uint8_t x[33], y[33], d[32];
    decode(A3_X, x);
    decode(A3_Y, y);
    decode(A3_D, d);
    assert_int_equal(ec_raw(x, 32, y, 32, d, 32), MOBID_OK);
    assert_int_equal(ec_raw(x, 32, y, 32, NULL, 0), MOBID_OK);
    /* Invalid-curve attack material: y off by one bit. */
    y[31] ^= 1;
    assert_int_equal(ec_raw(x, 32, y, 32, NULL, 0), MOBID_ERR_POINT_NOT_ON_CURVE);
    y[31] ^= 1;
    /* The point at infinity has no affine encoding; (0,0) is not on P-256. */
    uint8_t zero[32] = { 0 };
    assert_int_equal(ec_raw(zero, 32, zero, 32, NULL, 0), MOBID_ERR_POINT_NOT_ON_CURVE);
    /* x = p (not a field element) must not alias x = 0. */
    static const uint8_t p256[32] = { 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0,
                                      0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                      0xff, 0xff, 0xff, 0xff };
    mobid_err e = ec_raw(p256, 32, y, 32, NULL, 0);
    assert_true(e == MOBID_ERR_KEY_INVALID || e == MOBID_ERR_POINT_NOT_ON_CURVE);
    /* Coordinate lengths: short, and long with a leading zero. */
    assert_int_equal(ec_raw(x + 1, 31, y, 32, NULL, 0), MOBID_ERR_MALFORMED);
    memmove(x + 1, x, 32);
    x[0] = 0;
    assert_int_equal(ec_raw(x, 33, y, 32, NULL, 0), MOBID_ERR_MALFORMED);
    memmove(x, x + 1, 32);
    assert_int_equal(ec_raw(x, 32, y, 32, d, 31), MOBID_ERR_MALFORMED);
    /* d that does not belong to (x, y), d = 0. */
    d[5] ^= 0x40;
    assert_int_equal(ec_raw(x, 32, y, 32, d, 32), MOBID_ERR_KEY_INVALID);
    assert_int_equal(ec_raw(x, 32, y, 32, zero, 32), MOBID_ERR_KEY_INVALID);
}

static void test_members(void **state)
{
    (void)state;
    static const struct {
        const char *jwk;
        mobid_err want;
    } cases[] = {
        { "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" A3_X "\",\"y\":\"" A3_Y "\"}", MOBID_OK },
        { "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" ED_X "\",\"d\":\"" ED_D "\"}", MOBID_OK },
        { "{\"kty\":\"EC\",\"x\":\"" A3_X "\",\"y\":\"" A3_Y "\"}", MOBID_ERR_MALFORMED },
        { "{\"crv\":\"P-256\",\"x\":\"" A3_X "\",\"y\":\"" A3_Y "\"}", MOBID_ERR_MALFORMED },
        { "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" A3_X "\"}", MOBID_ERR_MALFORMED },
        { "{\"kty\":\"EC\",\"crv\":\"P-256\",\"y\":\"" A3_Y "\"}", MOBID_ERR_MALFORMED },
        { "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":1,\"y\":\"" A3_Y "\"}", MOBID_ERR_MALFORMED },
        { "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" A3_X "=\",\"y\":\"" A3_Y "\"}",
          MOBID_ERR_BAD_BASE64 },
        { "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" A3_X "\",\"y\":\"" A3_Y "\",\"d\":null}",
          MOBID_ERR_MALFORMED },
        { "{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"" A3_X "\",\"y\":\"" A3_Y "\"}",
          MOBID_ERR_MALFORMED },
        { "{\"kty\":\"EC\",\"crv\":\"secp256k1\",\"x\":\"" A3_X "\",\"y\":\"" A3_Y "\"}",
          MOBID_ERR_UNSUPPORTED },
        { "{\"kty\":\"OKP\",\"crv\":\"P-256\",\"x\":\"" A3_X "\",\"y\":\"" A3_Y "\"}",
          MOBID_ERR_UNSUPPORTED },
        { "{\"kty\":\"EC\",\"crv\":\"Ed25519\",\"x\":\"" ED_X "\"}", MOBID_ERR_UNSUPPORTED },
        { "{\"kty\":\"OKP\",\"crv\":\"Ed448\",\"x\":\"" ED_X "\"}", MOBID_ERR_UNSUPPORTED },
        { "{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}", MOBID_ERR_UNSUPPORTED },
        { "{\"kty\":\"oct\",\"k\":\"AQAB\"}", MOBID_ERR_UNSUPPORTED },
        { "{\"kty\":1}", MOBID_ERR_MALFORMED },
        { "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" ED_X "\",\"y\":\"" ED_X "\"}",
          MOBID_ERR_MALFORMED },
        { "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" A3_X "\",\"d\":\"" ED_D "\"}",
          MOBID_ERR_KEY_INVALID },
        { "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AAAA\"}", MOBID_ERR_MALFORMED },
        { "{\"kty\":\"EC\",\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" A3_X "\",\"y\":\"" A3_Y "\"}",
          MOBID_ERR_MALFORMED },
        { "[]", MOBID_ERR_MALFORMED },
        { "\"" A3_X "\"", MOBID_ERR_MALFORMED },
        { "{", MOBID_ERR_MALFORMED },
        { "", MOBID_ERR_MALFORMED },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mobid_err got = parse_jwk(cases[i].jwk);
        if (got != cases[i].want)
            print_error("case %zu: %s -> %s\n", i, cases[i].jwk, mobid_err_name(got));
        assert_int_equal(got, cases[i].want);
    }
}

static void test_too_big(void **state)
{
    (void)state;
    size_t n = 70 * 1024;
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, ' ', n);
    const char *jwk = "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" A3_X "\",\"y\":\"" A3_Y "\"}";
    memcpy(s, jwk, strlen(jwk));
    s[n] = 0;
    assert_int_equal(parse_jwk(s), MOBID_ERR_TOO_BIG);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_points),
        cmocka_unit_test(test_members),
        cmocka_unit_test(test_too_big),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
