/* lib/sdjwt: known-bad presentations, each rejected with its own stable code. */
#include "sdjwt_test.h"

#include <stdio.h>
#include <stdlib.h>

static tk keys;

static int setup(void **state)
{
    (void)state;
    tk_init(&keys);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tk_free(&keys);
    return 0;
}

/* base64url of JSON text: a disclosure written by hand. */
static void raw_disclosure(const char *json, mobid_buf *out)
{
    mobid_buf_init(out, 0);
    assert_int_equal(mobid_b64url_encode(mobid_view_str(json), out), MOBID_OK);
    assert_int_equal(mobid_buf_terminate(out), MOBID_OK);
}

static const char *digest_of(const mobid_buf *disc, char out[MOBID_SDJWT_DIGEST_MAX])
{
    mobid_buf d;
    mobid_buf_init(&d, 0);
    assert_int_equal(mobid_sdjwt_digest(MOBID_HASH_SHA256, mobid_buf_view(disc), &d), MOBID_OK);
    memcpy(out, d.ptr, d.len);
    out[d.len] = 0;
    mobid_buf_free(&d);
    return out;
}

/* An issuer-signed JWT over payload (JSON text) with typ dc+sd-jwt, then the given
 * disclosures (NULL-terminated), then '~'. No KB-JWT. An object payload without "vct"
 * gets one, as an SD-JWT VC needs. */
static void forge(const char *header_extra, const char *payload, const char *const *discs,
                  mobid_buf *out)
{
    json_t *h = tk_json(header_extra ? header_extra : "{\"typ\":\"dc+sd-jwt\"}");
    mobid_buf pl;
    mobid_buf_init(&pl, 0);
    if (payload[0] == '{' && !strstr(payload, "\"vct\"")) {
        mobid_buf_append_str(&pl, "{\"vct\":\"urn:example:t\"");
        mobid_buf_append_str(&pl, payload[1] == '}' ? "" : ",");
        mobid_buf_append_str(&pl, payload + 1);
    } else {
        mobid_buf_append_str(&pl, payload);
    }
    mobid_buf_init(out, 0);
    assert_int_equal(mobid_jws_sign(keys.issuer, MOBID_ALG_ES256, h, mobid_buf_view(&pl), out),
                     MOBID_OK);
    mobid_buf_free(&pl);
    mobid_buf_append_byte(out, '~');
    for (size_t i = 0; discs && discs[i]; i++) {
        mobid_buf_append_str(out, discs[i]);
        mobid_buf_append_byte(out, '~');
    }
    assert_int_equal(mobid_buf_terminate(out), MOBID_OK);
    json_decref(h);
}

static mobid_err verify_plain(const mobid_buf *pres)
{
    mobid_sdjwt_verify_opts o = tk_opts(&keys);
    o.require_kb = false;
    return tk_verify(mobid_buf_view(pres), &o, NULL);
}

/* Build payload_fmt with %s replaced by the digest of disclosure json, and verify. */
static mobid_err one_disclosure(const char *payload_fmt, const char *disc_json, int repeat)
{
    mobid_buf d, pres;
    raw_disclosure(disc_json, &d);
    char dig[MOBID_SDJWT_DIGEST_MAX], payload[1024];
    digest_of(&d, dig);
    snprintf(payload, sizeof payload, payload_fmt, dig, dig);
    const char *discs[] = { (const char *)d.ptr, repeat ? (const char *)d.ptr : NULL, NULL };
    forge(NULL, payload, discs, &pres);
    mobid_err err = verify_plain(&pres);
    mobid_buf_free(&d);
    mobid_buf_free(&pres);
    return err;
}

static void test_processing_rules(void **state)
{
    (void)state;
    const char *good = "[\"c2FsdHNhbHRzYWx0\",\"given_name\",\"Erika\"]";
    assert_int_equal(one_disclosure("{\"_sd\":[\"%s\"]}", good, 0), MOBID_OK);
    /* the same digest referenced twice */
    assert_int_equal(one_disclosure("{\"_sd\":[\"%s\",\"%s\"]}", good, 0),
                     MOBID_ERR_DUPLICATE_DISCLOSURE);
    assert_int_equal(one_disclosure("{\"_sd\":[\"%s\"],\"a\":{\"_sd\":[\"%s\"]}}", good, 0),
                     MOBID_ERR_DUPLICATE_DISCLOSURE);
    /* the same disclosure sent twice */
    assert_int_equal(one_disclosure("{\"_sd\":[\"%s\"]}", good, 1), MOBID_ERR_DUPLICATE_DISCLOSURE);
    /* a disclosure no digest refers to */
    assert_int_equal(one_disclosure("{\"_sd\":[]}", good, 0), MOBID_ERR_DISCLOSURE_UNREFERENCED);
    /* a decoy digest repeated */
    assert_int_equal(one_disclosure("{\"_sd\":[\"%s\"],\"x\":{\"_sd\":[\"AAAA\",\"AAAA\"]}}",
                                    good, 0),
                     MOBID_ERR_DUPLICATE_DIGEST);
    /* reserved claim names, in a disclosure or in the payload */
    assert_int_equal(one_disclosure("{\"_sd\":[\"%s\"]}", "[\"c2FsdA\",\"_sd\",[]]", 0),
                     MOBID_ERR_RESERVED_CLAIM_NAME);
    assert_int_equal(one_disclosure("{\"_sd\":[\"%s\"]}", "[\"c2FsdA\",\"...\",1]", 0),
                     MOBID_ERR_RESERVED_CLAIM_NAME);
    assert_int_equal(one_disclosure("{\"_sd\":[\"%s\"],\"o\":{\"...\":\"x\",\"y\":1}}", good, 0),
                     MOBID_ERR_RESERVED_CLAIM_NAME);
    /* a disclosed name already present at that level */
    assert_int_equal(one_disclosure("{\"given_name\":\"Max\",\"_sd\":[\"%s\"]}", good, 0),
                     MOBID_ERR_DUPLICATE_CLAIM);
    /* wrong shapes: array-element disclosure in an object and the reverse */
    assert_int_equal(one_disclosure("{\"_sd\":[\"%s\"]}", "[\"c2FsdA\",\"FR\"]", 0),
                     MOBID_ERR_MALFORMED);
    assert_int_equal(one_disclosure("{\"n\":[{\"...\":\"%s\"}]}", good, 0), MOBID_ERR_MALFORMED);
    assert_int_equal(one_disclosure("{\"n\":[{\"...\":\"%s\"}]}", "[\"c2FsdA\",\"FR\"]", 0),
                     MOBID_OK);
    /* non-string salt, non-string name, wrong length */
    assert_int_equal(one_disclosure("{\"_sd\":[\"%s\"]}", "[42,\"given_name\",\"Erika\"]", 0),
                     MOBID_ERR_MALFORMED);
    assert_int_equal(one_disclosure("{\"_sd\":[\"%s\"]}", "[\"c2FsdA\",7,\"Erika\"]", 0),
                     MOBID_ERR_MALFORMED);
    assert_int_equal(one_disclosure("{\"_sd\":[\"%s\"]}", "[\"c2FsdA\",\"a\",1,2]", 0),
                     MOBID_ERR_MALFORMED);
    assert_int_equal(one_disclosure("{\"_sd\":[\"%s\"]}", "{\"salt\":1}", 0), MOBID_ERR_MALFORMED);
    /* _sd not an array of strings; a non-string array digest */
    assert_int_equal(one_disclosure("{\"_sd\":\"%s\"}", good, 0), MOBID_ERR_MALFORMED);
    assert_int_equal(one_disclosure("{\"_sd\":[\"%s\",5]}", good, 0), MOBID_ERR_MALFORMED);
    assert_int_equal(one_disclosure("{\"_sd\":[\"%s\"],\"n\":[{\"...\":5}]}", good, 0),
                     MOBID_ERR_MALFORMED);
    /* unsupported _sd_alg */
    assert_int_equal(one_disclosure("{\"_sd\":[\"%s\"],\"_sd_alg\":\"md5\"}", good, 0),
                     MOBID_ERR_UNSUPPORTED);
    assert_int_equal(one_disclosure("{\"_sd\":[\"%s\"],\"_sd_alg\":1}", good, 0),
                     MOBID_ERR_UNSUPPORTED);
}

static void test_bad_encodings(void **state)
{
    (void)state;
    mobid_buf pres;
    const char *b64[] = { "not*base64", NULL };
    forge(NULL, "{}", b64, &pres);
    assert_int_equal(verify_plain(&pres), MOBID_ERR_BAD_BASE64);
    mobid_buf_free(&pres);
    const char *json[] = { "WyJhIiwi", NULL }; /* base64url of ["a"," (truncated JSON) */
    forge(NULL, "{}", json, &pres);
    assert_int_equal(verify_plain(&pres), MOBID_ERR_MALFORMED);
    mobid_buf_free(&pres);
    /* nesting deeper than the limit */
    char deep[400] = "";
    for (int i = 0; i < 70; i++)
        strcat(deep, "[");
    for (int i = 0; i < 70; i++)
        strcat(deep, "]");
    char payload[512];
    snprintf(payload, sizeof payload, "{\"d\":%s}", deep);
    forge(NULL, payload, NULL, &pres);
    assert_int_equal(verify_plain(&pres), MOBID_ERR_TOO_DEEP);
    mobid_buf_free(&pres);
    forge(NULL, "[1]", NULL, &pres);
    assert_int_equal(verify_plain(&pres), MOBID_ERR_MALFORMED);
    mobid_buf_free(&pres);
    forge("{\"typ\":\"JWT\"}", "{}", NULL, &pres);
    assert_int_equal(verify_plain(&pres), MOBID_ERR_TYPE_MISMATCH);
    mobid_buf_free(&pres);
    forge(NULL, "{\"vct\":7}", NULL, &pres);
    assert_int_equal(verify_plain(&pres), MOBID_ERR_CLAIM_MISSING);
    mobid_buf_free(&pres);
}

/* A credential and a presentation of it, for the attacks below. */
static void issued(mobid_buf *cred, mobid_buf *pres)
{
    const char *sd[] = { "given_name", "family_name", "birthdate", NULL };
    tk_issue(&keys, "{\"given_name\":\"Erika\",\"family_name\":\"Mustermann\","
                    "\"birthdate\":\"1963-08-12\"}",
             sd, cred);
    const char *reveal[] = { "given_name", NULL };
    tk_present(mobid_buf_view(cred), reveal, keys.holder, pres);
}

static void test_tampering(void **state)
{
    (void)state;
    mobid_buf cred, pres, t;
    issued(&cred, &pres);
    mobid_sdjwt_verify_opts o = tk_opts(&keys);
    assert_int_equal(tk_verify(mobid_buf_view(&pres), &o, NULL), MOBID_OK);
    /* tampered payload: flip one character of the encoded payload */
    mobid_buf_init(&t, 0);
    mobid_buf_append_view(&t, mobid_buf_view(&pres));
    mobid_buf_terminate(&t);
    char *dot = strchr((char *)t.ptr, '.');
    dot[5] = dot[5] == 'A' ? 'B' : 'A';
    mobid_err err = tk_verify(mobid_buf_view(&t), &o, NULL);
    assert_true(err == MOBID_ERR_ISSUER_SIGNATURE_INVALID || err == MOBID_ERR_MALFORMED ||
                err == MOBID_ERR_BAD_BASE64);
    mobid_buf_free(&t);
    /* injected disclosure: one the issuer never signed, placed before the KB-JWT */
    mobid_buf inj;
    raw_disclosure("[\"c2FsdHNhbHQ\",\"family_name\",\"Evil\"]", &inj);
    mobid_buf_init(&t, 0);
    char *last = strrchr((char *)pres.ptr, '~');
    mobid_buf_append(&t, pres.ptr, (size_t)(last - (char *)pres.ptr) + 1);
    mobid_buf_append_view(&t, mobid_buf_view(&inj));
    mobid_buf_append_str(&t, last);
    assert_int_equal(tk_verify(mobid_buf_view(&t), &o, NULL), MOBID_ERR_DISCLOSURE_UNREFERENCED);
    mobid_buf_free(&t);
    mobid_buf_free(&inj);
    /* duplicate disclosure: the presented one twice */
    mobid_buf_init(&t, 0);
    char *first = strchr((char *)pres.ptr, '~');
    size_t dlen = (size_t)(strchr(first + 1, '~') - first);
    mobid_buf_append(&t, pres.ptr, (size_t)(first - (char *)pres.ptr) + dlen);
    mobid_buf_append(&t, first, strlen(first));
    assert_int_equal(tk_verify(mobid_buf_view(&t), &o, NULL), MOBID_ERR_DUPLICATE_DISCLOSURE);
    mobid_buf_free(&t);
    /* a disclosure dropped after the KB-JWT was made: sd_hash no longer matches */
    mobid_buf_init(&t, 0);
    mobid_buf_append(&t, pres.ptr, (size_t)(first - (char *)pres.ptr) + 1);
    mobid_buf_append_str(&t, strrchr((char *)pres.ptr, '~') + 1);
    assert_int_equal(tk_verify(mobid_buf_view(&t), &o, NULL), MOBID_ERR_SD_HASH_MISMATCH);
    mobid_buf_free(&t);
    mobid_buf_free(&cred);
    mobid_buf_free(&pres);
}

static void test_key_binding(void **state)
{
    (void)state;
    mobid_buf cred, pres;
    issued(&cred, &pres);
    mobid_sdjwt_verify_opts o = tk_opts(&keys);
    o.nonce = "another-nonce";
    assert_int_equal(tk_verify(mobid_buf_view(&pres), &o, NULL), MOBID_ERR_NONCE_MISMATCH);
    o = tk_opts(&keys);
    o.aud = "https://other-rp.example";
    assert_int_equal(tk_verify(mobid_buf_view(&pres), &o, NULL), MOBID_ERR_AUDIENCE_MISMATCH);
    o = tk_opts(&keys);
    o.now = TK_NOW + 3600; /* the KB-JWT is an hour old */
    assert_int_equal(tk_verify(mobid_buf_view(&pres), &o, NULL), MOBID_ERR_KB_IAT_INVALID);
    /* KB-JWT signed by another key than cnf.jwk: present the credential with a key the
     * holder check is bypassed for by re-signing the KB part. */
    mobid_buf other;
    mobid_buf_init(&other, 0);
    char *last = strrchr((char *)pres.ptr, '~');
    mobid_buf_append(&other, pres.ptr, (size_t)(last - (char *)pres.ptr) + 1);
    mobid_jws kb;
    assert_int_equal(mobid_jws_parse(mobid_view_str(last + 1), &kb), MOBID_OK);
    json_t *h = tk_json("{\"typ\":\"kb+jwt\"}");
    assert_int_equal(mobid_jws_sign(keys.other, MOBID_ALG_ES256, h, mobid_buf_view(&kb.payload),
                                    &other),
                     MOBID_OK);
    json_decref(h);
    mobid_jws_clear(&kb);
    o = tk_opts(&keys);
    assert_int_equal(tk_verify(mobid_buf_view(&other), &o, NULL), MOBID_ERR_KB_SIGNATURE_INVALID);
    mobid_buf_free(&other);
    /* missing KB when required */
    mobid_buf bare;
    mobid_buf_init(&bare, 0);
    mobid_buf_append(&bare, pres.ptr, (size_t)(last - (char *)pres.ptr) + 1);
    assert_int_equal(tk_verify(mobid_buf_view(&bare), &o, NULL), MOBID_ERR_KB_MISSING);
    mobid_buf_free(&bare);
    mobid_buf_free(&cred);
    mobid_buf_free(&pres);
}

static void test_time(void **state)
{
    (void)state;
    mobid_buf cred, pres;
    issued(&cred, &pres);
    mobid_sdjwt_verify_opts o = tk_opts(&keys);
    o.require_kb = false;
    o.now = TK_NOW + 366 * 86400;
    assert_int_equal(tk_verify(mobid_buf_view(&cred), &o, NULL), MOBID_ERR_EXPIRED);
    o.now = TK_NOW - 3600;
    assert_int_equal(tk_verify(mobid_buf_view(&cred), &o, NULL), MOBID_ERR_NOT_YET_VALID);
    o.now = TK_NOW;
    assert_int_equal(tk_verify(mobid_buf_view(&cred), &o, NULL), MOBID_OK);
    mobid_buf_free(&cred);
    mobid_buf_free(&pres);
}

/* "alg":"none" and HS256 keyed with the issuer's public key are refused up front. */
static void test_alg_confusion(void **state)
{
    (void)state;
    mobid_buf cred, pres;
    issued(&cred, &pres);
    char *dot1 = strchr((char *)cred.ptr, '.');
    char *dot2 = strchr(dot1 + 1, '.');
    mobid_view payload_b64 = mobid_view_make(dot1 + 1, (size_t)(dot2 - dot1 - 1));
    const char *tail = strchr(dot2, '~');
    const char *headers[] = { "{\"alg\":\"none\",\"typ\":\"dc+sd-jwt\"}",
                              "{\"alg\":\"HS256\",\"typ\":\"dc+sd-jwt\"}" };
    mobid_buf pem;
    mobid_buf_init(&pem, 0);
    assert_int_equal(mobid_key_to_pem(keys.issuer, false, &pem), MOBID_OK);
    for (int i = 0; i < 2; i++) {
        mobid_buf t;
        mobid_buf_init(&t, 0);
        mobid_b64url_encode(mobid_view_str(headers[i]), &t);
        mobid_buf_append_byte(&t, '.');
        mobid_buf_append_view(&t, payload_b64);
        mobid_buf_append_byte(&t, '.');
        if (i == 1) {
            uint8_t mac[MOBID_HASH_MAX];
            mobid_view part = mobid_view_make(t.ptr, t.len - 1);
            assert_int_equal(mobid_hmac(MOBID_HASH_SHA256, mobid_buf_view(&pem), &part, 1, mac),
                             MOBID_OK);
            mobid_b64url_encode(mobid_view_make(mac, 32), &t);
        }
        mobid_buf_append_str(&t, tail);
        mobid_sdjwt_verify_opts o = tk_opts(&keys);
        o.require_kb = false;
        assert_int_equal(tk_verify(mobid_buf_view(&t), &o, NULL), MOBID_ERR_ALG_NOT_ALLOWED);
        mobid_buf_free(&t);
    }
    /* An allow-list without ES256 refuses a good credential as well. */
    mobid_alg only_eddsa[] = { MOBID_ALG_EDDSA, MOBID_ALG_NONE };
    mobid_sdjwt_verify_opts o = tk_opts(&keys);
    o.algs = only_eddsa;
    assert_int_equal(tk_verify(mobid_buf_view(&pres), &o, NULL), MOBID_ERR_ALG_NOT_ALLOWED);
    mobid_buf_free(&pem);
    mobid_buf_free(&cred);
    mobid_buf_free(&pres);
}

/* A DS certificate chain: trusted when its root is an anchor, refused otherwise. */
static void make_chain(mobid_key *root_key, mobid_key *ds_key, mobid_cert **root,
                       mobid_cert **ds)
{
    mobid_cert_spec ca = { .subject_cn = "Test IACA", .subject_c = "KR",
                           .not_before = TK_NOW - 86400, .not_after = TK_NOW + 3650 * 86400,
                           .is_ca = true, .path_len = 0, .purpose = MOBID_PURPOSE_ANY };
    assert_int_equal(mobid_cert_issue(&ca, root_key, root_key, NULL, root), MOBID_OK);
    const char *uris[] = { "https://issuer.example", NULL };
    mobid_cert_spec leaf = { .subject_cn = "Test DS", .subject_c = "KR",
                             .not_before = TK_NOW - 86400, .not_after = TK_NOW + 365 * 86400,
                             .purpose = MOBID_PURPOSE_SIGNING, .san_uris = uris };
    assert_int_equal(mobid_cert_issue(&leaf, ds_key, root_key, *root, ds), MOBID_OK);
}

static void test_x5c_trust(void **state)
{
    (void)state;
    mobid_key *root_key = NULL, *rogue_key = NULL;
    mobid_cert *root = NULL, *ds = NULL, *rogue = NULL, *rogue_ds = NULL;
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &root_key), MOBID_OK);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &rogue_key), MOBID_OK);
    make_chain(root_key, keys.issuer, &root, &ds);
    make_chain(rogue_key, keys.issuer, &rogue, &rogue_ds);
    mobid_trust *trust = NULL;
    mobid_sdjwt_key_cache *cache = NULL;
    assert_int_equal(mobid_trust_new(&trust), MOBID_OK);
    assert_int_equal(mobid_trust_add(trust, root), MOBID_OK);
    assert_int_equal(mobid_sdjwt_key_cache_new(2, 60, &cache), MOBID_OK);
    json_t *c = tk_json("{\"given_name\":\"Erika\"}");
    const char *sd[] = { "given_name", NULL };
    mobid_cert *chains[2][1] = { { ds }, { rogue_ds } };
    for (int i = 0; i < 2; i++) {
        mobid_sdjwt_issue_params p = { 0 };
        p.claims = c;
        p.sd_paths = sd;
        p.vct = "urn:example:pid";
        p.iat = TK_NOW;
        p.issuer_key = keys.issuer;
        p.x5c = chains[i];
        p.x5c_len = 1;
        mobid_buf cred;
        mobid_buf_init(&cred, 0);
        assert_int_equal(mobid_sdjwt_issue(&p, &cred), MOBID_OK);
        /* Twice with the cache (a miss, then a hit), once without. */
        for (int round = 0; round < 3; round++) {
            mobid_sdjwt_verify_opts o = { .trust = trust, .cache = round < 2 ? cache : NULL,
                                          .now = TK_NOW, .skew = -1 };
            mobid_sdjwt_result res;
            mobid_err err = tk_verify(mobid_buf_view(&cred), &o, &res);
            if (i == 0) {
                assert_int_equal(err, MOBID_OK);
                /* iss comes from the DS certificate's URI SAN */
                assert_string_equal(json_string_value(json_object_get(res.claims, "iss")),
                                    "https://issuer.example");
            } else {
                assert_int_equal(err, MOBID_ERR_UNTRUSTED_ISSUER);
            }
            mobid_sdjwt_result_clear(&res);
        }
        if (i == 0) {
            /* A cached header does not excuse a bad signature or an expired chain. */
            mobid_sdjwt_verify_opts o = { .trust = trust, .cache = cache, .now = TK_NOW,
                                          .skew = -1 };
            char *sig = strchr((char *)cred.ptr, '~');
            while (sig[-1] != '.')
                sig--;
            sig += 3; /* a character inside the issuer signature */
            *sig = *sig == 'A' ? 'B' : 'A';
            assert_int_equal(tk_verify(mobid_buf_view(&cred), &o, NULL),
                             MOBID_ERR_ISSUER_SIGNATURE_INVALID);
            *sig = *sig == 'A' ? 'B' : 'A';
            o.now = TK_NOW + 400 * 86400;
            assert_int_equal(tk_verify(mobid_buf_view(&cred), &o, NULL), MOBID_ERR_CERT_EXPIRED);
        }
        mobid_buf_free(&cred);
    }
    /* A trusted DS certificate cannot vouch for another issuer's iss. */
    mobid_sdjwt_issue_params p = { .claims = c, .iss = "https://other-issuer.example",
                                   .iat = TK_NOW, .issuer_key = keys.issuer, .x5c = chains[0],
                                   .x5c_len = 1 };
    mobid_buf cred;
    mobid_buf_init(&cred, 0);
    assert_int_equal(mobid_sdjwt_issue(&p, &cred), MOBID_OK);
    for (int round = 0; round < 2; round++) {
        mobid_sdjwt_verify_opts o = { .trust = trust, .cache = round ? cache : NULL,
                                      .now = TK_NOW, .skew = -1 };
        assert_int_equal(tk_verify(mobid_buf_view(&cred), &o, NULL), MOBID_ERR_UNTRUSTED_ISSUER);
    }
    mobid_buf_free(&cred);
    json_decref(c);
    mobid_sdjwt_key_cache_free(cache);
    mobid_trust_free(trust);
    mobid_cert_free(root);
    mobid_cert_free(ds);
    mobid_cert_free(rogue);
    mobid_cert_free(rogue_ds);
    mobid_key_free(root_key);
    mobid_key_free(rogue_key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_processing_rules), cmocka_unit_test(test_bad_encodings),
        cmocka_unit_test(test_tampering),        cmocka_unit_test(test_key_binding),
        cmocka_unit_test(test_time),             cmocka_unit_test(test_alg_confusion),
        cmocka_unit_test(test_x5c_trust),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
