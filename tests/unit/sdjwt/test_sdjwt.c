/* lib/sdjwt: issue, present and verify round trips; paths; splitting. */
#include "sdjwt_test.h"

#include <stdlib.h>

static const char *person =
    "{\"given_name\":\"Erika\",\"family_name\":\"Mustermann\",\"birthdate\":\"1963-08-12\","
    "\"address\":{\"street_address\":\"Heidestrasse 17\",\"locality\":\"Koeln\","
    "\"country\":\"DE\"},\"nationalities\":[\"DE\",\"FR\"],\"age_over_18\":true}";

static size_t count_char(const char *s, char c)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == c;
    return n;
}

static void test_roundtrip_flat(void **state)
{
    (void)state;
    tk k;
    tk_init(&k);
    const char *sd[] = { "given_name", "family_name", "birthdate", "address",
                         "nationalities/1", NULL };
    mobid_buf cred, pres;
    tk_issue(&k, person, sd, &cred);
    /* JWT~ plus five disclosures, each followed by '~'. */
    assert_int_equal(count_char((char *)cred.ptr, '~'), 6);
    const char *reveal[] = { "given_name", "nationalities/1", NULL };
    tk_present(mobid_buf_view(&cred), reveal, k.holder, &pres);
    mobid_sdjwt_verify_opts o = tk_opts(&k);
    mobid_sdjwt_result res;
    assert_int_equal(tk_verify(mobid_buf_view(&pres), &o, &res), MOBID_OK);
    assert_true(res.key_bound);
    json_t *c = res.claims;
    assert_string_equal(json_string_value(json_object_get(c, "given_name")), "Erika");
    assert_null(json_object_get(c, "family_name"));
    assert_null(json_object_get(c, "address"));
    assert_null(json_object_get(c, "_sd"));
    assert_null(json_object_get(c, "_sd_alg"));
    json_t *nat = tk_json("[\"DE\",\"FR\"]");
    assert_true(json_equal(json_object_get(c, "nationalities"), nat));
    json_decref(nat);
    assert_string_equal(json_string_value(json_object_get(c, "vct")), "urn:example:pid");
    assert_string_equal(json_string_value(json_object_get(c, "iss")), "https://issuer.example");
    assert_non_null(json_object_get(json_object_get(c, "cnf"), "jwk"));
    assert_true(json_is_true(json_object_get(c, "age_over_18")));
    assert_string_equal(json_string_value(json_object_get(res.header, "typ")), "dc+sd-jwt");
    mobid_sdjwt_result_clear(&res);
    mobid_buf_free(&cred);
    mobid_buf_free(&pres);
    tk_free(&k);
}

static void test_recursive(void **state)
{
    (void)state;
    tk k;
    tk_init(&k);
    const char *sd[] = { "address", "address/country", "address/locality", NULL };
    mobid_buf cred, pres;
    tk_issue(&k, person, sd, &cred);
    /* The child implies its parent; the sibling stays hidden. */
    const char *reveal[] = { "address/country", NULL };
    tk_present(mobid_buf_view(&cred), reveal, k.holder, &pres);
    assert_int_equal(count_char((char *)pres.ptr, '~'), 3);
    mobid_sdjwt_verify_opts o = tk_opts(&k);
    mobid_sdjwt_result res;
    assert_int_equal(tk_verify(mobid_buf_view(&pres), &o, &res), MOBID_OK);
    json_t *addr = json_object_get(res.claims, "address");
    assert_non_null(addr);
    assert_string_equal(json_string_value(json_object_get(addr, "country")), "DE");
    assert_string_equal(json_string_value(json_object_get(addr, "street_address")),
                        "Heidestrasse 17");
    assert_null(json_object_get(addr, "locality"));
    mobid_sdjwt_result_clear(&res);
    mobid_buf_free(&pres);
    /* Revealing only the parent shows none of its disclosable children. */
    const char *parent[] = { "address", NULL };
    tk_present(mobid_buf_view(&cred), parent, k.holder, &pres);
    assert_int_equal(tk_verify(mobid_buf_view(&pres), &o, &res), MOBID_OK);
    addr = json_object_get(res.claims, "address");
    assert_null(json_object_get(addr, "country"));
    assert_non_null(json_object_get(addr, "street_address"));
    mobid_sdjwt_result_clear(&res);
    mobid_buf_free(&pres);
    mobid_buf_free(&cred);
    tk_free(&k);
}

static void test_wildcard_and_no_kb(void **state)
{
    (void)state;
    tk k;
    tk_init(&k);
    const char *sd[] = { "*", "address/*", NULL };
    mobid_buf cred, pres;
    tk_issue(&k, person, sd, &cred);
    /* 6 top-level claims and 3 address members; iss, vct, iat, exp, cnf never. */
    assert_int_equal(count_char((char *)cred.ptr, '~'), 10);
    const char *all[] = { "*", "address/*", NULL };
    tk_present(mobid_buf_view(&cred), all, NULL, &pres);
    mobid_sdjwt_verify_opts o = tk_opts(&k);
    o.require_kb = false;
    mobid_sdjwt_result res;
    assert_int_equal(tk_verify(mobid_buf_view(&pres), &o, &res), MOBID_OK);
    assert_false(res.key_bound);
    json_t *want = tk_json(person);
    const char *key;
    json_t *val;
    json_object_foreach(want, key, val)
        assert_true(json_equal(val, json_object_get(res.claims, key)));
    json_decref(want);
    mobid_sdjwt_result_clear(&res);
    o.require_kb = true;
    assert_int_equal(tk_verify(mobid_buf_view(&pres), &o, NULL), MOBID_ERR_KB_MISSING);
    mobid_buf_free(&pres);
    mobid_buf_free(&cred);
    tk_free(&k);
}

static void test_issue_rules(void **state)
{
    (void)state;
    tk k;
    tk_init(&k);
    json_t *c = tk_json(person);
    mobid_sdjwt_issue_params p = { 0 };
    p.claims = c;
    p.issuer_key = k.issuer;
    mobid_buf out;
    mobid_buf_init(&out, 0);
    const char *bad_iss[] = { "iss", NULL };
    p.sd_paths = bad_iss;
    p.iss = "https://issuer.example";
    assert_int_equal(mobid_sdjwt_issue(&p, &out), MOBID_ERR_INVALID_ARG);
    const char *bad_cnf[] = { "cnf/jwk", NULL };
    p.holder_key = k.holder;
    p.sd_paths = bad_cnf;
    out.len = 0;
    assert_int_equal(mobid_sdjwt_issue(&p, &out), MOBID_ERR_INVALID_ARG);
    const char *typo[] = { "given_nam", NULL };
    p.sd_paths = typo;
    out.len = 0;
    assert_int_equal(mobid_sdjwt_issue(&p, &out), MOBID_ERR_NOT_FOUND);
    json_t *reserved = tk_json("{\"a\":{\"_sd\":[]}}");
    p.claims = reserved;
    p.sd_paths = NULL;
    out.len = 0;
    assert_int_equal(mobid_sdjwt_issue(&p, &out), MOBID_ERR_RESERVED_CLAIM_NAME);
    json_decref(reserved);
    json_decref(c);
    mobid_buf_free(&out);
    tk_free(&k);
}

static void test_decoys_sha384(void **state)
{
    (void)state;
    tk k;
    tk_init(&k);
    json_t *c = tk_json(person);
    const char *sd[] = { "given_name", "family_name", NULL };
    mobid_sdjwt_issue_params p = { 0 };
    p.claims = c;
    p.sd_paths = sd;
    p.issuer_key = k.issuer;
    p.holder_key = k.holder;
    p.vct = "urn:example:pid";
    p.iat = TK_NOW;
    p.hash = MOBID_HASH_SHA384;
    p.decoys = 3;
    mobid_buf cred, pres;
    mobid_buf_init(&cred, 0);
    assert_int_equal(mobid_sdjwt_issue(&p, &cred), MOBID_OK);
    /* The signed payload carries 2 + 3 digests of 64 characters and names sha-384. */
    mobid_jws jws;
    mobid_sdjwt_parts parts;
    assert_int_equal(mobid_sdjwt_split(mobid_buf_view(&cred), &parts, NULL, 0),
                     MOBID_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(parts.n_disclosures, 2);
    assert_int_equal(mobid_jws_parse(parts.jwt, &jws), MOBID_OK);
    assert_int_equal(mobid_buf_terminate(&jws.payload), MOBID_OK);
    json_t *pl = tk_json((const char *)jws.payload.ptr);
    json_t *sdarr = json_object_get(pl, "_sd");
    assert_int_equal(json_array_size(sdarr), 5);
    assert_int_equal(strlen(json_string_value(json_array_get(sdarr, 0))), 64);
    assert_string_equal(json_string_value(json_object_get(pl, "_sd_alg")), "sha-384");
    /* Sorted, so the order says nothing about the claims. */
    for (size_t i = 1; i < 5; i++)
        assert_true(strcmp(json_string_value(json_array_get(sdarr, i - 1)),
                           json_string_value(json_array_get(sdarr, i))) < 0);
    json_decref(pl);
    mobid_jws_clear(&jws);
    const char *reveal[] = { "family_name", NULL };
    tk_present(mobid_buf_view(&cred), reveal, k.holder, &pres);
    mobid_sdjwt_verify_opts o = tk_opts(&k);
    mobid_sdjwt_result res;
    assert_int_equal(tk_verify(mobid_buf_view(&pres), &o, &res), MOBID_OK);
    assert_string_equal(json_string_value(json_object_get(res.claims, "family_name")),
                        "Mustermann");
    assert_null(json_object_get(res.claims, "given_name"));
    mobid_sdjwt_result_clear(&res);
    mobid_buf_free(&pres);
    mobid_buf_free(&cred);
    json_decref(c);
    tk_free(&k);
}

static void test_present_checks(void **state)
{
    (void)state;
    tk k;
    tk_init(&k);
    const char *sd[] = { "given_name", NULL };
    mobid_buf cred, out;
    tk_issue(&k, person, sd, &cred);
    mobid_buf_init(&out, 0);
    mobid_sdjwt_present_params p = { 0 };
    const char *reveal[] = { "given_name", NULL };
    p.reveal = reveal;
    p.holder_key = k.other; /* not the key in cnf.jwk */
    p.aud = "a";
    p.nonce = "n";
    assert_int_equal(mobid_sdjwt_present(mobid_buf_view(&cred), &p, &out), MOBID_ERR_KEY_INVALID);
    const char *missing[] = { "middle_name", NULL };
    p.reveal = missing;
    p.holder_key = k.holder;
    assert_int_equal(mobid_sdjwt_present(mobid_buf_view(&cred), &p, &out), MOBID_ERR_NOT_FOUND);
    /* Always-visible claims may be named without error. */
    const char *plain[] = { "address/country", NULL };
    p.reveal = plain;
    assert_int_equal(mobid_sdjwt_present(mobid_buf_view(&cred), &p, &out), MOBID_OK);
    p.nonce = NULL;
    assert_int_equal(mobid_sdjwt_present(mobid_buf_view(&cred), &p, &out), MOBID_ERR_INVALID_ARG);
    mobid_buf_free(&out);
    mobid_buf_free(&cred);
    tk_free(&k);
}

static void test_path_covers(void **state)
{
    (void)state;
    assert_true(mobid_sdjwt_path_covers("address/country", "address"));
    assert_true(mobid_sdjwt_path_covers("address/country", "address/country"));
    assert_false(mobid_sdjwt_path_covers("address", "address/country"));
    assert_false(mobid_sdjwt_path_covers("address/country", "addresses"));
    assert_false(mobid_sdjwt_path_covers("addr", "address"));
    assert_true(mobid_sdjwt_path_covers("*", "given_name"));
    assert_true(mobid_sdjwt_path_covers("nationalities/*", "nationalities/3"));
    assert_false(mobid_sdjwt_path_covers("nationalities/*", "nationalities/3/x"));
    assert_true(mobid_sdjwt_path_covers("a~1b/c", "a~1b"));
    assert_false(mobid_sdjwt_path_covers("", "a"));
}

static void test_split(void **state)
{
    (void)state;
    mobid_sdjwt_parts parts;
    mobid_view d[4];
    const char *ok = "aaa.bbb.ccc~D1~D2~xxx.yyy.zzz";
    assert_int_equal(mobid_sdjwt_split(mobid_view_str(ok), &parts, d, 4), MOBID_OK);
    assert_int_equal(parts.n_disclosures, 2);
    assert_true(mobid_view_eq_str(d[1], "D2"));
    assert_true(mobid_view_eq_str(parts.kb, "xxx.yyy.zzz"));
    assert_true(mobid_view_eq_str(parts.sd_hash_input, "aaa.bbb.ccc~D1~D2~"));
    assert_int_equal(mobid_sdjwt_split(mobid_view_str(ok), &parts, d, 1),
                     MOBID_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(parts.n_disclosures, 2);
    assert_int_equal(mobid_sdjwt_split(mobid_view_str("aaa.bbb.ccc~"), &parts, d, 4), MOBID_OK);
    assert_int_equal(parts.n_disclosures, 0);
    assert_int_equal(parts.kb.len, 0);
    const char *bad[] = { "aaa.bbb.ccc", "aaa.bbb.ccc~~", "aaa.bbb~D~", "~", "aaa..ccc~",
                          "aaa.bbb.ccc~D~kb", "aaa.bbb.ccc.ddd~" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(mobid_sdjwt_split(mobid_view_str(bad[i]), &parts, d, 4),
                         MOBID_ERR_MALFORMED);
}

/* Every allocation failure during verification is reported, never crashes or leaks. */
static void test_alloc_failure(void **state)
{
    (void)state;
    tk k;
    tk_init(&k);
    const char *sd[] = { "given_name", "address", "address/country", NULL };
    mobid_buf cred, pres;
    tk_issue(&k, person, sd, &cred);
    const char *reveal[] = { "given_name", "address/country", NULL };
    tk_present(mobid_buf_view(&cred), reveal, k.holder, &pres);
    mobid_sdjwt_verify_opts o = tk_opts(&k);
    mobid_err err = MOBID_ERR_NOMEM;
    long n;
    for (n = 0; n < 10000 && err != MOBID_OK; n++) {
        mobid_alloc_fail_after(n);
        mobid_sdjwt_result res;
        err = mobid_sdjwt_verify(mobid_buf_view(&pres), &o, &res);
        mobid_alloc_fail_after(-1);
        mobid_sdjwt_result_clear(&res);
        assert_true(err == MOBID_OK || err == MOBID_ERR_NOMEM || err == MOBID_ERR_CRYPTO ||
                    err == MOBID_ERR_KEY_INVALID || err == MOBID_ERR_MALFORMED ||
                    err == MOBID_ERR_ISSUER_SIGNATURE_INVALID ||
                    err == MOBID_ERR_KB_SIGNATURE_INVALID);
    }
    assert_int_equal(err, MOBID_OK);
    /* The same for issuing and presenting. */
    json_t *claims = tk_json(person);
    mobid_sdjwt_issue_params ip = { .claims = claims, .sd_paths = sd, .iat = TK_NOW,
                                    .holder_key = k.holder, .issuer_key = k.issuer,
                                    .decoys = 1 };
    mobid_sdjwt_present_params pp = { .reveal = reveal, .holder_key = k.holder, .aud = "a",
                                      .nonce = "n", .iat = TK_NOW };
    for (int which = 0; which < 2; which++) {
        err = MOBID_ERR_NOMEM;
        for (n = 0; n < 10000 && err != MOBID_OK; n++) {
            mobid_buf out;
            mobid_buf_init(&out, 0);
            mobid_alloc_fail_after(n);
            err = which ? mobid_sdjwt_present(mobid_buf_view(&cred), &pp, &out)
                        : mobid_sdjwt_issue(&ip, &out);
            mobid_alloc_fail_after(-1);
            mobid_buf_free(&out);
            assert_true(err == MOBID_OK || err == MOBID_ERR_NOMEM || err == MOBID_ERR_CRYPTO ||
                        err == MOBID_ERR_KEY_INVALID || err == MOBID_ERR_MALFORMED);
        }
        assert_int_equal(err, MOBID_OK);
    }
    json_decref(claims);
    mobid_buf_free(&pres);
    mobid_buf_free(&cred);
    tk_free(&k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_flat),  cmocka_unit_test(test_recursive),
        cmocka_unit_test(test_wildcard_and_no_kb), cmocka_unit_test(test_issue_rules),
        cmocka_unit_test(test_decoys_sha384),   cmocka_unit_test(test_present_checks),
        cmocka_unit_test(test_path_covers),     cmocka_unit_test(test_split),
        cmocka_unit_test(test_alloc_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
