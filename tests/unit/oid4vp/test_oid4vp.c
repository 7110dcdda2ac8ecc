/*
 * lib/oid4vp: DCQL selection and satisfaction, registration sign/verify/allows,
 * request objects built and verified as a wallet does, response encryption.
 */
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include <mobid/jose.h>
#include <mobid/oid4vp.h>

static mobid_key *ca_key, *rp_key, *reg_key;
static mobid_cert *ca_cert, *rp_cert, *reg_cert;
static mobid_trust *trust;

static void make_for(const char *cn, bool ca, mobid_cert_purpose purpose, mobid_key **k,
                     mobid_cert **c)
{
    mobid_cert_spec s = { 0 };
    s.subject_cn = cn;
    s.not_before = mobid_now() - 60;
    s.not_after = mobid_now() + 86400;
    s.is_ca = ca;
    s.path_len = ca ? 1 : 0;
    s.purpose = ca ? MOBID_PURPOSE_ANY : purpose;
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, k), MOBID_OK);
    assert_int_equal(mobid_cert_issue(&s, *k, ca ? *k : ca_key, ca ? NULL : ca_cert, c), MOBID_OK);
}

static void make(const char *cn, bool ca, mobid_key **k, mobid_cert **c)
{
    make_for(cn, ca, MOBID_PURPOSE_SIGNING, k, c);
}

static int setup(void **state)
{
    (void)state;
    make("CA", true, &ca_key, &ca_cert);
    make("RP", false, &rp_key, &rp_cert);
    make_for("Registry", false, MOBID_PURPOSE_REGISTRAR, &reg_key, &reg_cert);
    assert_int_equal(mobid_trust_new(&trust), MOBID_OK);
    assert_int_equal(mobid_trust_add(trust, ca_cert), MOBID_OK);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mobid_key_free(ca_key);
    mobid_key_free(rp_key);
    mobid_key_free(reg_key);
    mobid_cert_free(ca_cert);
    mobid_cert_free(rp_cert);
    mobid_cert_free(reg_cert);
    mobid_trust_free(trust);
    return 0;
}

static mobid_dcql *parse(const char *text)
{
    mobid_dcql *q = NULL;
    char detail[160];
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    assert_int_equal(mobid_dcql_parse(j, &q, detail, sizeof detail), MOBID_OK);
    json_decref(j);
    return q;
}

static const char *QUERY =
    "{\"credentials\":[{\"id\":\"pid\",\"format\":\"dc+sd-jwt\",\"meta\":{\"vct_values\":[\"urn:x\"]},"
    "\"claims\":[{\"id\":\"a\",\"path\":[\"address\",\"country\"]},{\"id\":\"n\",\"path\":[\"nationalities\",null]},"
    "{\"id\":\"g\",\"path\":[\"given_name\"],\"values\":[\"Minji\"]}],\"claim_sets\":[[\"a\",\"g\"],[\"n\"]]},"
    "{\"id\":\"mdl\",\"format\":\"mso_mdoc\",\"meta\":{\"doctype_value\":\"org.iso.18013.5.1.mDL\"},"
    "\"claims\":[{\"path\":[\"org.iso.18013.5.1\",\"family_name\"]}]}],"
    "\"credential_sets\":[{\"options\":[[\"pid\"],[\"mdl\"]]}]}";

static void test_dcql_select(void **state)
{
    (void)state;
    mobid_dcql *q = parse(QUERY);
    json_t *claims = json_pack("{s:{s:s, s:s}, s:[s,s], s:s, s:s}", "address", "country", "KR",
                               "street", "Sejong-daero", "nationalities", "KR", "US", "given_name",
                               "Minji", "secret", "x");
    json_t *out = NULL;
    char detail[160];
    const mobid_dcql_cred *pid = mobid_dcql_find(q, "pid");
    assert_non_null(pid);
    assert_true(mobid_dcql_cred_accepts(pid, MOBID_DCQL_SDJWT, "urn:x"));
    assert_false(mobid_dcql_cred_accepts(pid, MOBID_DCQL_SDJWT, "urn:y"));
    assert_false(mobid_dcql_cred_accepts(pid, MOBID_DCQL_MDOC, "urn:x"));
    /* The first claim set (address/country + given_name) is satisfied. */
    assert_int_equal(mobid_dcql_select(pid, claims, &out, detail, sizeof detail), MOBID_OK);
    char *s = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(s, "{\"address\":{\"country\":\"KR\"},\"given_name\":\"Minji\"}");
    free(s);
    json_decref(out);
    /* A given_name outside the allowed values: the second set (nationalities) serves. */
    json_object_set_new(claims, "given_name", json_string("Other"));
    assert_int_equal(mobid_dcql_select(pid, claims, &out, detail, sizeof detail), MOBID_OK);
    s = json_dumps(out, JSON_COMPACT);
    assert_string_equal(s, "{\"nationalities\":[\"KR\",\"US\"]}");
    free(s);
    json_decref(out);
    /* Neither set: CLAIM_MISSING. */
    json_object_del(claims, "nationalities");
    assert_int_equal(mobid_dcql_select(pid, claims, &out, detail, sizeof detail),
                     MOBID_ERR_CLAIM_MISSING);
    assert_null(out);
    json_decref(claims);

    const mobid_dcql_cred *mdl = mobid_dcql_find(q, "mdl");
    assert_true(mobid_dcql_cred_accepts(mdl, MOBID_DCQL_MDOC, "org.iso.18013.5.1.mDL"));
    claims = json_pack("{s:{s:s, s:s}}", "org.iso.18013.5.1", "family_name", "Kim", "portrait", "..");
    assert_int_equal(mobid_dcql_select(mdl, claims, &out, detail, sizeof detail), MOBID_OK);
    assert_int_equal(json_object_size(json_object_get(out, "org.iso.18013.5.1")), 1);
    json_decref(out);
    json_decref(claims);

    const char *one[] = { "mdl", NULL }, *none[] = { NULL };
    assert_int_equal(mobid_dcql_satisfied(q, one), MOBID_OK);
    assert_int_equal(mobid_dcql_satisfied(q, none), MOBID_ERR_DCQL_UNSATISFIED);
    mobid_dcql_free(q);
}

static void test_registration(void **state)
{
    (void)state;
    mobid_oid4vp_registration_params p = { 0 };
    mobid_oid4vp_registration r;
    mobid_buf jwt;
    char detail[160];
    json_t *allowed = json_pack("[{s:s, s:s, s:[[s]]}]", "format", "dc+sd-jwt", "type", "urn:x",
                                "claims", "address");
    p.key = reg_key;
    p.x5c = &reg_cert;
    p.x5c_len = 1;
    p.rp_id = "gov24";
    p.name = "Government 24";
    p.legal_basis = "Electronic Government Act";
    p.allowed = allowed;
    p.exp = mobid_now() + 3600;
    mobid_buf_init(&jwt, 0);
    assert_int_equal(mobid_oid4vp_registration_sign(&p, &jwt), MOBID_OK);
    assert_int_equal(mobid_oid4vp_registration_verify(mobid_buf_view(&jwt), trust, 0, &r), MOBID_OK);
    assert_string_equal(r.rp_id, "gov24");
    assert_string_equal(r.name, "Government 24");

    mobid_dcql *ok = parse("{\"credentials\":[{\"id\":\"c\",\"format\":\"dc+sd-jwt\",\"meta\":"
                           "{\"vct_values\":[\"urn:x\"]},\"claims\":[{\"path\":[\"address\",\"country\"]}]}]}");
    mobid_dcql *more = parse("{\"credentials\":[{\"id\":\"c\",\"format\":\"dc+sd-jwt\",\"meta\":"
                             "{\"vct_values\":[\"urn:x\"]},\"claims\":[{\"path\":[\"rrn\"]}]}]}");
    mobid_dcql *other = parse("{\"credentials\":[{\"id\":\"c\",\"format\":\"dc+sd-jwt\",\"meta\":"
                              "{\"vct_values\":[\"urn:y\"]},\"claims\":[{\"path\":[\"address\"]}]}]}");
    assert_int_equal(mobid_oid4vp_registration_allows(&r, ok, detail, sizeof detail), MOBID_OK);
    assert_int_equal(mobid_oid4vp_registration_allows(&r, more, detail, sizeof detail),
                     MOBID_ERR_CLAIM_NOT_ALLOWED);
    assert_int_equal(mobid_oid4vp_registration_allows(&r, other, detail, sizeof detail),
                     MOBID_ERR_CLAIM_NOT_ALLOWED);
    mobid_oid4vp_registration_clear(&r);

    /* Signed by another key under the same root (a document signer, a status-list
     * signer, an RP access certificate): not a registrar, refused. */
    mobid_key *dsk = NULL;
    mobid_cert *dsc = NULL;
    mobid_buf forged;
    mobid_cert_purpose others[] = { MOBID_PURPOSE_MDOC_DS, MOBID_PURPOSE_SIGNING };
    for (size_t i = 0; i < 2; i++) {
        make_for("Not a registrar", false, others[i], &dsk, &dsc);
        p.key = dsk;
        p.x5c = &dsc;
        mobid_buf_init(&forged, 0);
        assert_int_equal(mobid_oid4vp_registration_sign(&p, &forged), MOBID_OK);
        assert_int_equal(mobid_oid4vp_registration_verify(mobid_buf_view(&forged), trust, 0, &r),
                         MOBID_ERR_REGISTRAR_INVALID);
        mobid_buf_free(&forged);
        mobid_key_free(dsk);
        mobid_cert_free(dsc);
    }
    p.key = reg_key;
    p.x5c = &reg_cert;

    /* Expired, and tampered. */
    assert_int_equal(mobid_oid4vp_registration_verify(mobid_buf_view(&jwt), trust,
                                                      mobid_now() + 7200, &r),
                     MOBID_ERR_EXPIRED);
    jwt.ptr[jwt.len - 5] ^= 1;
    assert_int_not_equal(mobid_oid4vp_registration_verify(mobid_buf_view(&jwt), trust, 0, &r),
                         MOBID_OK);
    mobid_dcql_free(ok);
    mobid_dcql_free(more);
    mobid_dcql_free(other);
    json_decref(allowed);
    mobid_buf_free(&jwt);
}

/* The trust set remembers a registration's signature; time, chain and forgeries are
 * still judged on every use. */
static void test_registration_memo(void **state)
{
    (void)state;
    mobid_trust *t = NULL;
    mobid_oid4vp_registration r;
    mobid_buf jwt, forged;
    mobid_key *other = NULL;
    json_t *allowed = json_pack("[{s:s, s:s, s:[[s]]}]", "format", "dc+sd-jwt", "type", "urn:x",
                                "claims", "address");
    mobid_oid4vp_registration_params p = { .key = reg_key, .x5c = &reg_cert, .x5c_len = 1,
                                           .rp_id = "gov24", .name = "Government 24",
                                           .legal_basis = "Act", .allowed = allowed,
                                           .iat = mobid_now(), .exp = mobid_now() + 10 * 86400 };
    assert_int_equal(mobid_trust_new(&t), MOBID_OK);
    assert_int_equal(mobid_trust_add(t, ca_cert), MOBID_OK);
    mobid_buf_init(&jwt, 0);
    mobid_buf_init(&forged, 0);
    assert_int_equal(mobid_oid4vp_registration_sign(&p, &jwt), MOBID_OK);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(mobid_oid4vp_registration_verify(mobid_buf_view(&jwt), t, 0, &r), MOBID_OK);
        assert_string_equal(r.rp_id, "gov24");
        mobid_oid4vp_registration_clear(&r);
    }
    assert_int_equal(mobid_trust_sig_hits(t), 2); /* verified once, remembered twice */

    /* Remembered, but its registrar certificate (one day) has expired by then. */
    assert_int_equal(mobid_oid4vp_registration_verify(mobid_buf_view(&jwt), t,
                                                      mobid_now() + 2 * 86400, &r),
                     MOBID_ERR_CERT_EXPIRED);

    /* Remembered, but the registration itself has expired: re-signed with a short
     * exp, verified (and remembered) now, refused after its exp. */
    p.exp = mobid_now() + 600;
    jwt.len = 0;
    assert_int_equal(mobid_oid4vp_registration_sign(&p, &jwt), MOBID_OK);
    assert_int_equal(mobid_oid4vp_registration_verify(mobid_buf_view(&jwt), t, 0, &r), MOBID_OK);
    mobid_oid4vp_registration_clear(&r);
    unsigned long hits = mobid_trust_sig_hits(t);
    assert_int_equal(mobid_oid4vp_registration_verify(mobid_buf_view(&jwt), t,
                                                      mobid_now() + 1200, &r),
                     MOBID_ERR_EXPIRED);
    assert_int_equal(mobid_trust_sig_hits(t), hits + 1);

    /* The same claims and the registrar's x5c, signed by another key: new bytes,
     * verified anew and refused, each time (a failure is not remembered). */
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &other), MOBID_OK);
    p.key = other;
    assert_int_equal(mobid_oid4vp_registration_sign(&p, &forged), MOBID_OK);
    for (int i = 0; i < 2; i++)
        assert_int_equal(mobid_oid4vp_registration_verify(mobid_buf_view(&forged), t, 0, &r),
                         MOBID_ERR_SIGNATURE_INVALID);
    assert_int_equal(mobid_trust_sig_hits(t), hits + 1);

    /* The remembered header and signature over another payload (a later exp):
     * refused. */
    p.exp = mobid_now() + 7 * 86400;
    forged.len = 0;
    assert_int_equal(mobid_oid4vp_registration_sign(&p, &forged), MOBID_OK);
    const uint8_t *dot1 = memchr(jwt.ptr, '.', jwt.len);
    const uint8_t *dot2 = memchr(forged.ptr, '.', forged.len);
    const uint8_t *sig1 = memchr(dot1 + 1, '.', jwt.len - (size_t)(dot1 + 1 - jwt.ptr));
    const uint8_t *sig2 = memchr(dot2 + 1, '.', forged.len - (size_t)(dot2 + 1 - forged.ptr));
    mobid_buf spliced;
    mobid_buf_init(&spliced, 0);
    mobid_buf_append(&spliced, jwt.ptr, (size_t)(dot1 - jwt.ptr));
    mobid_buf_append(&spliced, dot2, (size_t)(sig2 - dot2));
    mobid_buf_append(&spliced, sig1, jwt.len - (size_t)(sig1 - jwt.ptr));
    assert_int_equal(mobid_oid4vp_registration_verify(mobid_buf_view(&spliced), t, 0, &r),
                     MOBID_ERR_SIGNATURE_INVALID);
    mobid_buf_free(&spliced);
    mobid_key_free(other);
    mobid_buf_free(&jwt);
    mobid_buf_free(&forged);
    json_decref(allowed);
    mobid_trust_free(t);
}

static void sign_request(mobid_key *enc, mobid_buf *out)
{
    mobid_oid4vp_request_params p = { 0 };
    json_t *q = json_loads("{\"credentials\":[{\"id\":\"c\",\"format\":\"dc+sd-jwt\",\"meta\":"
                           "{\"vct_values\":[\"urn:x\"]},\"claims\":[{\"path\":[\"address\"]}]}]}",
                           0, NULL);
    p.key = rp_key;
    p.x5c = &rp_cert;
    p.x5c_len = 1;
    p.response_uri = "https://rp.example/response/1";
    p.nonce = "n-0S6_WzA2Mj-0123456789abcdef";
    p.state = "st";
    p.dcql_query = q;
    p.encrypted = enc != NULL;
    p.enc_key = enc;
    mobid_buf_init(out, 0);
    assert_int_equal(mobid_oid4vp_request_sign(&p, out), MOBID_OK);
    json_decref(q);
}

static void test_request_and_response(void **state)
{
    (void)state;
    mobid_key *enc = NULL;
    mobid_buf jwt, cid, jwe;
    mobid_oid4vp_request r;
    json_t *back = NULL;
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &enc), MOBID_OK);
    sign_request(enc, &jwt);
    assert_int_equal(mobid_oid4vp_request_verify(mobid_buf_view(&jwt), trust, NULL, 0, &r), MOBID_OK);
    mobid_buf_init(&cid, 0);
    assert_int_equal(mobid_oid4vp_client_id(rp_cert, &cid), MOBID_OK);
    assert_true(mobid_view_eq_str(mobid_buf_view(&cid), r.client_id));
    assert_int_equal(strlen(r.client_id), strlen("x509_hash:") + 43);
    assert_true(r.encrypted);
    assert_true(mobid_key_public_eq(r.enc_key, enc));
    assert_string_equal(r.response_uri, "https://rp.example/response/1");
    /* OpenID4VP 1.0 Appendix B names: COSE numbers for mdoc, JOSE names for SD-JWT. */
    const json_t *vf = json_object_get(json_object_get(r.payload, "client_metadata"),
                                       "vp_formats_supported");
    const json_t *mf = json_object_get(vf, "mso_mdoc");
    assert_int_equal(json_integer_value(json_array_get(json_object_get(mf, "issuerauth_alg_values"), 0)), -7);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(mf, "deviceauth_alg_values"), 0)), -7);
    assert_null(json_object_get(mf, "alg"));
    assert_string_equal(json_string_value(json_array_get(json_object_get(
                            json_object_get(vf, "dc+sd-jwt"), "kb-jwt_alg_values"), 0)), "ES256");
    /* A registration is required when reg_trust is given and none is carried. */
    mobid_oid4vp_request rr;
    assert_int_equal(mobid_oid4vp_request_verify(mobid_buf_view(&jwt), trust, trust, 0, &rr),
                     MOBID_ERR_RP_NOT_REGISTERED);

    /* The response round trip through the verifier's key. */
    json_t *params = json_pack("{s:{s:[s]}, s:s}", "vp_token", "c", "x.y.z~", "state", "st");
    mobid_buf_init(&jwe, 0);
    assert_int_equal(mobid_oid4vp_response_encrypt(params, r.enc_key, &jwe), MOBID_OK);
    assert_int_equal(mobid_oid4vp_response_decrypt(mobid_buf_view(&jwe), enc, &back), MOBID_OK);
    assert_true(json_equal(params, back));
    json_decref(back);
    /* The wallet's way: the JWE names the key by the kid the request gave it. */
    mobid_buf thumb, hdr;
    mobid_buf_init(&thumb, 0);
    assert_int_equal(mobid_jwk_thumbprint_key(enc, &thumb), MOBID_OK);
    assert_int_equal(mobid_buf_terminate(&thumb), MOBID_OK);
    assert_non_null(r.enc_kid);
    assert_string_equal(r.enc_kid, (const char *)thumb.ptr); /* what mobid's verifier gives */
    r.enc_kid = "verifier-key-1"; /* as a verifier that names its keys otherwise */
    mobid_buf_init(&hdr, 0);
    for (int i = 0; i < 2; i++) {
        jwe.len = 0;
        assert_int_equal(mobid_oid4vp_response_encrypt_for(&r, params, &jwe), MOBID_OK);
        assert_int_equal(mobid_oid4vp_response_decrypt(mobid_buf_view(&jwe), enc, &back), MOBID_OK);
        assert_true(json_equal(params, back));
        json_decref(back);
        const uint8_t *dot = memchr(jwe.ptr, '.', jwe.len);
        hdr.len = 0;
        assert_int_equal(mobid_b64url_decode(mobid_view_make(jwe.ptr, (size_t)(dot - jwe.ptr)), &hdr),
                         MOBID_OK);
        json_t *h = json_loadb((const char *)hdr.ptr, hdr.len, 0, NULL);
        assert_string_equal(json_string_value(json_object_get(h, "kid")),
                            i == 0 ? "verifier-key-1" : (const char *)thumb.ptr);
        json_decref(h);
        r.enc_kid = NULL; /* a key without a kid: its thumbprint */
    }
    r.encrypted = false;
    assert_int_equal(mobid_oid4vp_response_encrypt_for(&r, params, &jwe), MOBID_ERR_INVALID_ARG);
    r.encrypted = true;
    mobid_buf_free(&thumb);
    mobid_buf_free(&hdr);
    /* Another base64url character inside the tag (not its last, whose low bits are fixed). */
    jwe.ptr[jwe.len - 3] = jwe.ptr[jwe.len - 3] == 'A' ? 'B' : 'A';
    assert_int_equal(mobid_oid4vp_response_decrypt(mobid_buf_view(&jwe), enc, &back),
                     MOBID_ERR_DECRYPT_FAILED);
    mobid_oid4vp_request_clear(&r);
    /* Expired request objects are refused. */
    assert_int_equal(mobid_oid4vp_request_verify(mobid_buf_view(&jwt), trust, NULL,
                                                 mobid_now() + 181, &r),
                     MOBID_ERR_EXPIRED);
    json_decref(params);
    mobid_buf_free(&jwt);
    mobid_buf_free(&jwe);
    mobid_buf_free(&cid);
    mobid_key_free(enc);
}

static void test_request_untrusted(void **state)
{
    (void)state;
    mobid_trust *empty = NULL;
    mobid_key *k = NULL;
    mobid_cert *c = NULL;
    mobid_buf jwt;
    mobid_oid4vp_request r;
    mobid_cert_spec s = { 0 };
    s.subject_cn = "Other CA";
    s.not_before = mobid_now() - 60;
    s.not_after = mobid_now() + 3600;
    s.is_ca = true;
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &k), MOBID_OK);
    assert_int_equal(mobid_cert_issue(&s, k, k, NULL, &c), MOBID_OK);
    assert_int_equal(mobid_trust_new(&empty), MOBID_OK);
    assert_int_equal(mobid_trust_add(empty, c), MOBID_OK);
    sign_request(NULL, &jwt);
    assert_int_equal(mobid_oid4vp_request_verify(mobid_buf_view(&jwt), empty, NULL, 0, &r),
                     MOBID_ERR_UNTRUSTED_ISSUER);
    assert_int_equal(mobid_oid4vp_request_verify(mobid_buf_view(&jwt), trust, NULL, 0, &r), MOBID_OK);
    assert_false(r.encrypted);
    assert_null(r.enc_key);
    mobid_oid4vp_request_clear(&r);
    mobid_buf_free(&jwt);
    mobid_trust_free(empty);
    mobid_cert_free(c);
    mobid_key_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dcql_select),
        cmocka_unit_test(test_registration),
        cmocka_unit_test(test_registration_memo),
        cmocka_unit_test(test_request_and_response),
        cmocka_unit_test(test_request_untrusted),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
