/*
 * Known-bad DCQL queries and vp_tokens: each refused with its code.
 */
#include <stdlib.h>
#include "testutil.h"
#include <mobid/oid4vp.h>

typedef struct bad_case {
    const char *json;
    mobid_err want;
} bad_case;

#define SD "\"format\":\"dc+sd-jwt\",\"meta\":{\"vct_values\":[\"urn:x\"]}"
#define MD "\"format\":\"mso_mdoc\",\"meta\":{\"doctype_value\":\"d\"}"

static const bad_case bad_queries[] = {
    { "{}", MOBID_ERR_MALFORMED },
    { "{\"credentials\":[]}", MOBID_ERR_MALFORMED },
    { "{\"credentials\":{}}", MOBID_ERR_MALFORMED },
    { "{\"credentials\":[{\"id\":\"a b\"," SD "}]}", MOBID_ERR_MALFORMED },
    { "{\"credentials\":[{\"id\":\"\"," SD "}]}", MOBID_ERR_MALFORMED },
    { "{\"credentials\":[{\"id\":\"a\",\"format\":\"jwt_vc_json\",\"meta\":{}}]}", MOBID_ERR_UNSUPPORTED },
    { "{\"credentials\":[{\"id\":\"a\",\"format\":\"dc+sd-jwt\"}]}", MOBID_ERR_MALFORMED },
    { "{\"credentials\":[{\"id\":\"a\",\"format\":\"dc+sd-jwt\",\"meta\":{\"vct_values\":[]}}]}", MOBID_ERR_MALFORMED },
    { "{\"credentials\":[{\"id\":\"a\",\"format\":\"dc+sd-jwt\",\"meta\":{\"vct_values\":[1]}}]}", MOBID_ERR_MALFORMED },
    { "{\"credentials\":[{\"id\":\"a\"," SD "},{\"id\":\"a\"," SD "}]}", MOBID_ERR_MALFORMED },
    { "{\"credentials\":[{\"id\":\"a\"," SD ",\"claims\":[]}]}", MOBID_ERR_MALFORMED },
    { "{\"credentials\":[{\"id\":\"a\"," SD ",\"claims\":[{\"path\":[]}]}]}", MOBID_ERR_MALFORMED },
    { "{\"credentials\":[{\"id\":\"a\"," SD ",\"claims\":[{\"path\":[-1]}]}]}", MOBID_ERR_MALFORMED },
    { "{\"credentials\":[{\"id\":\"a\"," SD ",\"claims\":[{\"path\":[true]}]}]}", MOBID_ERR_MALFORMED },
    { "{\"credentials\":[{\"id\":\"a\"," MD ",\"claims\":[{\"path\":[\"ns\"]}]}]}", MOBID_ERR_MALFORMED },
    { "{\"credentials\":[{\"id\":\"a\"," MD ",\"claims\":[{\"path\":[\"ns\",null]}]}]}", MOBID_ERR_MALFORMED },
    { "{\"credentials\":[{\"id\":\"a\"," SD ",\"claims\":[{\"path\":[\"x\"],\"values\":[]}]}]}", MOBID_ERR_MALFORMED },
    { "{\"credentials\":[{\"id\":\"a\"," SD ",\"claims\":[{\"id\":\"x\",\"path\":[\"x\"]},{\"id\":\"x\",\"path\":[\"y\"]}]}]}", MOBID_ERR_MALFORMED },
    { "{\"credentials\":[{\"id\":\"a\"," SD ",\"claims\":[{\"id\":\"x\",\"path\":[\"x\"]}],\"claim_sets\":[[\"y\"]]}]}", MOBID_ERR_MALFORMED },
    { "{\"credentials\":[{\"id\":\"a\"," SD "}],\"credential_sets\":[{\"options\":[[\"b\"]]}]}", MOBID_ERR_MALFORMED },
    { "{\"credentials\":[{\"id\":\"a\"," SD "}],\"credential_sets\":[{\"options\":[]}]}", MOBID_ERR_MALFORMED },
    { "{\"credentials\":[{\"id\":\"a\"," SD ",\"multiple\":\"yes\"}]}", MOBID_ERR_MALFORMED },
};

static void test_bad_queries(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_queries / sizeof bad_queries[0]; i++) {
        json_t *j = json_loads(bad_queries[i].json, 0, NULL);
        mobid_dcql *q = NULL;
        char detail[160] = "";
        assert_non_null(j);
        mobid_err err = mobid_dcql_parse(j, &q, detail, sizeof detail);
        if (err != bad_queries[i].want)
            print_message("case %zu: %s gave %s\n", i, bad_queries[i].json, mobid_err_name(err));
        assert_int_equal(err, bad_queries[i].want);
        assert_null(q);
        json_decref(j);
    }
}

static void test_too_many(void **state)
{
    (void)state;
    json_t *creds = json_array();
    for (int i = 0; i <= MOBID_DCQL_MAX_CREDENTIALS; i++) {
        char id[8];
        snprintf(id, sizeof id, "c%d", i);
        json_array_append_new(creds, json_pack("{s:s, s:s, s:{s:[s]}}", "id", id, "format",
                                               "dc+sd-jwt", "meta", "vct_values", "urn:x"));
    }
    json_t *q = json_pack("{s:o}", "credentials", creds);
    mobid_dcql *out = NULL;
    assert_int_equal(mobid_dcql_parse(q, &out, NULL, 0), MOBID_ERR_TOO_BIG);
    json_decref(q);
}

static void test_bad_vp_tokens(void **state)
{
    (void)state;
    static const bad_case toks[] = {
        { "{}", MOBID_ERR_MALFORMED },
        { "{\"a\":\"x\"}", MOBID_ERR_MALFORMED },
        { "{\"a\":[]}", MOBID_ERR_MALFORMED },
        { "{\"a\":[1]}", MOBID_ERR_MALFORMED },
        { "{\"a\":[\"\"]}", MOBID_ERR_MALFORMED },
        { "{\"b\":[\"x\"]}", MOBID_ERR_DCQL_UNSATISFIED },
        { "{\"a\":[\"x\",\"y\"]}", MOBID_ERR_DCQL_UNSATISFIED },
    };
    json_t *qj = json_loads("{\"credentials\":[{\"id\":\"a\"," SD "}]}", 0, NULL);
    mobid_dcql *q = NULL;
    assert_int_equal(mobid_dcql_parse(qj, &q, NULL, 0), MOBID_OK);
    for (size_t i = 0; i < sizeof toks / sizeof toks[0]; i++) {
        json_t *t = json_loads(toks[i].json, 0, NULL), *out = NULL;
        assert_int_equal(mobid_oid4vp_vp_token_parse(t, q, &out), toks[i].want);
        assert_null(out);
        json_decref(t);
    }
    /* The text form (a form field) is accepted too, but must be JSON. */
    json_t *s = json_string("{\"a\":[\"x\"]}"), *out = NULL;
    assert_int_equal(mobid_oid4vp_vp_token_parse(s, q, &out), MOBID_OK);
    json_decref(out);
    json_decref(s);
    s = json_string("{\"a\":");
    assert_int_equal(mobid_oid4vp_vp_token_parse(s, q, &out), MOBID_ERR_MALFORMED);
    json_decref(s);
    mobid_dcql_free(q);
    json_decref(qj);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_queries),
        cmocka_unit_test(test_too_many),
        cmocka_unit_test(test_bad_vp_tokens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
