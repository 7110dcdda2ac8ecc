/* Known-bad status lists and status list tokens, each with the error it must give. */
#include "testutil.h"

#include <mobid/cose.h>
#include <mobid/jose.h>
#include <mobid/statuslist.h>

#include <string.h>

/* {"bits":B,"lst":b64url(hex)} built here so every case names its bytes. */
static mobid_err json_list(const char *bits, const char *zhex)
{
    mobid_buf z, j;
    tu_hex(zhex, &z);
    mobid_buf_init(&j, 0);
    mobid_buf_append_str(&j, "{\"bits\":");
    mobid_buf_append_str(&j, bits);
    mobid_buf_append_str(&j, ",\"lst\":\"");
    assert_int_equal(mobid_b64url_encode(mobid_buf_view(&z), &j), MOBID_OK);
    mobid_buf_append_str(&j, "\"}");
    mobid_statuslist *l = NULL;
    mobid_err err = mobid_statuslist_from_json(mobid_buf_view(&j), NULL, &l);
    if (err != MOBID_OK)
        assert_null(l);
    mobid_statuslist_free(l);
    mobid_buf_free(&z);
    mobid_buf_free(&j);
    return err;
}

static mobid_err json_text(const char *text)
{
    mobid_statuslist *l = NULL;
    mobid_err err = mobid_statuslist_from_json(mobid_view_str(text), NULL, &l);
    if (err != MOBID_OK)
        assert_null(l);
    mobid_statuslist_free(l);
    return err;
}

/* 78dadbb918000217015d is zlib(b9 a3), the draft's 16-entry example. */
static void test_bad_json_lists(void **state)
{
    (void)state;
    assert_int_equal(json_list("1", "78dadbb918000217015d"), MOBID_OK); /* the control */
    assert_int_equal(json_list("3", "78dadbb918000217015d"), MOBID_ERR_MALFORMED);
    assert_int_equal(json_list("0", "78dadbb918000217015d"), MOBID_ERR_MALFORMED);
    assert_int_equal(json_list("16", "78dadbb918000217015d"), MOBID_ERR_MALFORMED);
    assert_int_equal(json_list("-1", "78dadbb918000217015d"), MOBID_ERR_MALFORMED);
    assert_int_equal(json_list("1.0", "78dadbb918000217015d"), MOBID_ERR_MALFORMED);
    assert_int_equal(json_list("\"1\"", "78dadbb918000217015d"), MOBID_ERR_MALFORMED);
    /* Stream damage. */
    assert_int_equal(json_list("1", "78dadbb918000217015d00"), MOBID_ERR_MALFORMED); /* trailing */
    assert_int_equal(json_list("1", "78dadbb9180002"), MOBID_ERR_MALFORMED);         /* truncated */
    assert_int_equal(json_list("1", "78dadbb918000217015e"), MOBID_ERR_MALFORMED);   /* adler32 */
    assert_int_equal(json_list("1", "dbb918000217015d"), MOBID_ERR_MALFORMED);       /* raw deflate */
    assert_int_equal(json_list("1", "1f8b08000000000000ff"), MOBID_ERR_MALFORMED);   /* gzip */
    assert_int_equal(json_list("1", "789c030000000001"), MOBID_ERR_MALFORMED);       /* empty list */
    assert_int_equal(json_list("1", "78bb000000000000"), MOBID_ERR_MALFORMED); /* preset dict */
    assert_int_equal(json_list("1", ""), MOBID_ERR_MALFORMED);
    /* JSON shape. */
    assert_int_equal(json_text("{\"bits\":1}"), MOBID_ERR_MALFORMED);
    assert_int_equal(json_text("{\"lst\":\"eNrbuRgAAhcBXQ\"}"), MOBID_ERR_MALFORMED);
    assert_int_equal(json_text("{\"bits\":1,\"lst\":\"eNrbuRgAAhcBXQ==\"}"), MOBID_ERR_BAD_BASE64);
    assert_int_equal(json_text("{\"bits\":1,\"lst\":\"eNrbuRgAAhcBX Q\"}"), MOBID_ERR_BAD_BASE64);
    assert_int_equal(json_text("{\"bits\":1,\"lst\":\"eNrbuRgAAhcBXQ\",\"bits\":2}"),
                     MOBID_ERR_MALFORMED);
    assert_int_equal(json_text("{\"bits\":1,\"lst\":[1]}"), MOBID_ERR_MALFORMED);
    assert_int_equal(json_text("[1,2]"), MOBID_ERR_MALFORMED);
    assert_int_equal(json_text("{\"bits\":1,\"lst\":\"eNrbuRgAAhcBXQ\"} x"), MOBID_ERR_MALFORMED);
    assert_int_equal(json_text(""), MOBID_ERR_MALFORMED);
}

static mobid_err cbor_list(const char *hex)
{
    mobid_buf c;
    tu_hex(hex, &c);
    mobid_cbor_item it;
    mobid_statuslist *l = NULL;
    mobid_err err = mobid_cbor_decode_exact(mobid_buf_view(&c), NULL, &it);
    assert_int_equal(err, MOBID_OK);
    err = mobid_statuslist_from_cbor(&it, NULL, &l);
    mobid_statuslist_free(l);
    mobid_buf_free(&c);
    return err;
}

static void test_bad_cbor_lists(void **state)
{
    (void)state;
    assert_int_equal(cbor_list("a2646269747301636c73744a78dadbb918000217015d"), MOBID_OK);
    /* bits 3, bits -1, lst as text, lst missing, an array, bits as text. */
    assert_int_equal(cbor_list("a2646269747303636c73744a78dadbb918000217015d"), MOBID_ERR_MALFORMED);
    assert_int_equal(cbor_list("a2646269747320636c73744a78dadbb918000217015d"), MOBID_ERR_MALFORMED);
    assert_int_equal(cbor_list("a2646269747301636c737463616263"), MOBID_ERR_MALFORMED);
    assert_int_equal(cbor_list("a1646269747301"), MOBID_ERR_MALFORMED);
    assert_int_equal(cbor_list("820102"), MOBID_ERR_MALFORMED);
    assert_int_equal(cbor_list("a264626974736131636c73744a78dadbb918000217015d"),
                     MOBID_ERR_MALFORMED);
    /* Trailing byte inside the bstr after the zlib stream. */
    assert_int_equal(cbor_list("a2646269747301636c73744b78dadbb918000217015d00"),
                     MOBID_ERR_MALFORMED);
}

/* Tokens with well-formed signatures (no chain; decode only) but bad claims. */
static mobid_err jwt_with(mobid_key *k, const char *typ, const char *claims)
{
    json_t *hdr = json_pack("{s:s}", "typ", typ);
    mobid_buf tok;
    mobid_buf_init(&tok, 0);
    assert_int_equal(mobid_jws_sign(k, MOBID_ALG_ES256, hdr, mobid_view_str(claims), &tok),
                     MOBID_OK);
    mobid_statuslist_token *t = NULL;
    mobid_err err = mobid_statuslist_token_decode(mobid_buf_view(&tok), NULL, &t);
    if (err != MOBID_OK)
        assert_null(t);
    mobid_statuslist_token_free(t);
    json_decref(hdr);
    mobid_buf_free(&tok);
    return err;
}

#define SL "\"status_list\":{\"bits\":1,\"lst\":\"eNrbuRgAAhcBXQ\"}"

static void test_bad_jwt_claims(void **state)
{
    (void)state;
    mobid_key *k = NULL;
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &k), MOBID_OK);
    const char *typ = MOBID_STATUSLIST_JWT_TYP;
    assert_int_equal(jwt_with(k, typ, "{\"sub\":\"u\",\"iat\":1," SL "}"), MOBID_OK);
    assert_int_equal(jwt_with(k, "application/statuslist+jwt", "{\"sub\":\"u\",\"iat\":1," SL "}"),
                     MOBID_OK);
    assert_int_equal(jwt_with(k, "JWT", "{\"sub\":\"u\",\"iat\":1," SL "}"),
                     MOBID_ERR_TYPE_MISMATCH);
    assert_int_equal(jwt_with(k, "statuslist+cwt", "{\"sub\":\"u\",\"iat\":1," SL "}"),
                     MOBID_ERR_TYPE_MISMATCH);
    assert_int_equal(jwt_with(k, typ, "{\"iat\":1," SL "}"), MOBID_ERR_STATUS_LIST_INVALID);
    assert_int_equal(jwt_with(k, typ, "{\"sub\":7,\"iat\":1," SL "}"),
                     MOBID_ERR_STATUS_LIST_INVALID);
    assert_int_equal(jwt_with(k, typ, "{\"sub\":\"u\"," SL "}"), MOBID_ERR_STATUS_LIST_INVALID);
    assert_int_equal(jwt_with(k, typ, "{\"sub\":\"u\",\"iat\":\"1\"," SL "}"),
                     MOBID_ERR_STATUS_LIST_INVALID);
    assert_int_equal(jwt_with(k, typ, "{\"sub\":\"u\",\"iat\":1,\"exp\":null," SL "}"),
                     MOBID_ERR_STATUS_LIST_INVALID);
    assert_int_equal(jwt_with(k, typ, "{\"sub\":\"u\",\"iat\":1,\"ttl\":0," SL "}"),
                     MOBID_ERR_STATUS_LIST_INVALID);
    assert_int_equal(jwt_with(k, typ, "{\"sub\":\"u\",\"iat\":1,\"ttl\":-5," SL "}"),
                     MOBID_ERR_STATUS_LIST_INVALID);
    assert_int_equal(jwt_with(k, typ, "{\"sub\":\"u\",\"iat\":1}"), MOBID_ERR_STATUS_LIST_INVALID);
    assert_int_equal(jwt_with(k, typ, "{\"sub\":\"u\",\"iat\":1,\"status_list\":{\"bits\":5,"
                                      "\"lst\":\"eNrbuRgAAhcBXQ\"}}"),
                     MOBID_ERR_MALFORMED);
    assert_int_equal(jwt_with(k, typ, "[1]"), MOBID_ERR_STATUS_LIST_INVALID);
    assert_int_equal(jwt_with(k, typ, "not json"), MOBID_ERR_MALFORMED);
    mobid_key_free(k);
}

/* A COSE_Sign1 with typ set and the given claims map (hex). */
static mobid_err cwt_with(mobid_key *k, const char *claims_hex)
{
    mobid_buf claims, prot, tok;
    tu_hex(claims_hex, &claims);
    mobid_buf_init(&prot, 0);
    mobid_cbor_enc e;
    mobid_cbor_enc_init(&e, &prot);
    mobid_cbor_map_begin(&e);
    mobid_cbor_put_uint(&e, MOBID_COSE_HDR_TYP);
    mobid_cbor_put_cstr(&e, MOBID_STATUSLIST_CWT_MEDIA);
    mobid_cbor_map_end(&e);
    assert_int_equal(mobid_cbor_enc_finish(&e), MOBID_OK);
    mobid_cose_sign1_params cp = { .alg = MOBID_ALG_ES256, .protected_extra = mobid_buf_view(&prot),
                                   .tagged = true };
    mobid_buf_init(&tok, 0);
    assert_int_equal(mobid_cose_sign1_create(k, &cp, mobid_buf_view(&claims), &tok), MOBID_OK);
    mobid_statuslist_token *t = NULL;
    mobid_err err = mobid_statuslist_token_decode(mobid_buf_view(&tok), NULL, &t);
    mobid_statuslist_token_free(t);
    mobid_buf_free(&claims);
    mobid_buf_free(&prot);
    mobid_buf_free(&tok);
    return err;
}

/* 19fffd a2 64 "bits" 01 63 "lst" 4a <zlib>: the status_list claim. */
#define CSL "19fffda2646269747301636c73744a78dadbb918000217015d"

static void test_bad_cwt_claims(void **state)
{
    (void)state;
    mobid_key *k = NULL;
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &k), MOBID_OK);
    assert_int_equal(cwt_with(k, "a30261750601" CSL), MOBID_OK);             /* sub, iat */
    assert_int_equal(cwt_with(k, "a20601" CSL), MOBID_ERR_STATUS_LIST_INVALID);  /* no sub */
    assert_int_equal(cwt_with(k, "a2026175" CSL), MOBID_ERR_STATUS_LIST_INVALID); /* no iat */
    assert_int_equal(cwt_with(k, "a302417506" "01" CSL), MOBID_ERR_STATUS_LIST_INVALID);
    assert_int_equal(cwt_with(k, "a30261750661" "31" CSL), MOBID_ERR_STATUS_LIST_INVALID);
    assert_int_equal(cwt_with(k, "a4026175060119fffe00" CSL), MOBID_ERR_STATUS_LIST_INVALID);
    assert_int_equal(cwt_with(k, "a4026175060119fffe20" CSL), MOBID_ERR_STATUS_LIST_INVALID);
    assert_int_equal(cwt_with(k, "a40261750601" "04f6" CSL), MOBID_ERR_STATUS_LIST_INVALID);
    assert_int_equal(cwt_with(k, "a20261750601"), MOBID_ERR_STATUS_LIST_INVALID);
    assert_int_equal(cwt_with(k, "a30261750601" "19fffd01"), MOBID_ERR_MALFORMED);
    assert_int_equal(cwt_with(k, "8101"), MOBID_ERR_STATUS_LIST_INVALID);
    assert_int_equal(cwt_with(k, "ff"), MOBID_ERR_STATUS_LIST_INVALID);
    mobid_key_free(k);
}

static void test_bad_token_framing(void **state)
{
    (void)state;
    const char *bad[] = { "", "e", "eyJ", "eyJhbGciOiJFUzI1NiJ9..", "{\"bits\":1}", "\xd2\x84" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        mobid_statuslist_token *t = NULL;
        assert_int_not_equal(mobid_statuslist_token_decode(mobid_view_str(bad[i]), NULL, &t),
                             MOBID_OK);
        assert_null(t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_json_lists),
        cmocka_unit_test(test_bad_cbor_lists),
        cmocka_unit_test(test_bad_jwt_claims),
        cmocka_unit_test(test_bad_cwt_claims),
        cmocka_unit_test(test_bad_token_framing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
