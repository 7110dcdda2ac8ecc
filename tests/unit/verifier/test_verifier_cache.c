/*
 * The verifier's session cache (src/services/verifier/cache.c) on its own: an entry is
 * found until its session expires, dropped by id, replaced by a newcomer to its slot
 * while its holders keep it alive, and a NULL cache keeps and finds nothing.
 */
#include "testutil.h"
#include <mobid/oid4vp.h>
#include "services/verifier/verifier.h"

static const char query_text[] =
    "{\"credentials\":[{\"id\":\"card\",\"format\":\"dc+sd-jwt\","
    "\"meta\":{\"vct_values\":[\"urn:example:card\"]}}]}";

/* A fixed session part of id expiring at expires_at (direct_post: no key). */
static verifier_fixed *fixed(const char *id, int64_t expires_at)
{
    verifier_session vs = { 0 };
    verifier_fixed *f = NULL;
    vs.id = (char *)id;
    vs.rp_id = "bank";
    vs.nonce = "n";
    vs.state = "s";
    vs.dcql = (char *)query_text;
    vs.response_mode = "direct_post";
    vs.created_at = expires_at - 180;
    vs.expires_at = expires_at;
    assert_int_equal(verifier_fixed_new(NULL, &vs, NULL, NULL, &f), MOBID_OK);
    assert_non_null(f->query);
    assert_null(f->key);
    return f;
}

static void test_found_until_expiry(void **state)
{
    (void)state;
    verifier_cache *c = NULL;
    assert_int_equal(verifier_cache_new(64, &c), MOBID_OK);
    verifier_fixed *f = fixed("abc", 1000);
    verifier_cache_put(c, f);
    verifier_fixed_release(f);

    verifier_fixed *got = verifier_cache_get(c, "abc", 999);
    assert_non_null(got);
    assert_string_equal(got->state, "s");
    assert_string_equal(mobid_dcql_find(got->query, "card")->id, "card");
    verifier_fixed_release(got);
    assert_null(verifier_cache_get(c, "abd", 10)); /* another id */
    verifier_cache_drop(c, "abd");                 /* not there: nothing happens */
    assert_non_null(got = verifier_cache_get(c, "abc", 10));
    verifier_fixed_release(got);
    verifier_cache_drop(c, "abc");
    assert_null(verifier_cache_get(c, "abc", 10));

    /* Asked for once expired, it is not returned, and gone even for an earlier clock. */
    f = fixed("abc", 1000);
    verifier_cache_put(c, f);
    verifier_fixed_release(f);
    assert_null(verifier_cache_get(c, "abc", 1000));
    assert_null(verifier_cache_get(c, "abc", 10));
    verifier_cache_free(c);
}

/* One slot: every newcomer replaces the entry there. A holder's reference outlives it. */
static void test_replaced_entry_kept_by_holder(void **state)
{
    (void)state;
    verifier_cache *c = NULL;
    assert_int_equal(verifier_cache_new(1, &c), MOBID_OK);
    verifier_fixed *a = fixed("a", 1000), *b = fixed("b", 1000);
    verifier_cache_put(c, a);
    verifier_fixed_release(a);
    verifier_fixed *held = verifier_cache_get(c, "a", 10);
    assert_non_null(held);
    verifier_cache_put(c, b);
    verifier_fixed_release(b);
    assert_null(verifier_cache_get(c, "a", 10));
    assert_string_equal(held->id, "a"); /* still valid (ASan would see a use after free) */
    verifier_fixed_release(held);
    verifier_fixed *got = verifier_cache_get(c, "b", 10);
    assert_non_null(got);
    verifier_fixed_release(got);
    verifier_cache_clear(c);
    assert_null(verifier_cache_get(c, "b", 10));
    verifier_cache_free(c);
}

static void test_null_cache(void **state)
{
    (void)state;
    verifier_fixed *f = fixed("abc", 1000);
    verifier_cache_put(NULL, f);
    assert_null(verifier_cache_get(NULL, "abc", 10));
    verifier_cache_drop(NULL, "abc");
    verifier_cache_clear(NULL);
    verifier_cache_free(NULL);
    verifier_fixed_release(f);
    verifier_fixed_release(NULL);
}

/* A stored query that does not parse, or a missing field, builds no entry. */
static void test_bad_session_refused(void **state)
{
    (void)state;
    verifier_session vs = { 0 };
    verifier_fixed *f = NULL;
    vs.id = "abc";
    vs.rp_id = "bank";
    vs.nonce = "n";
    vs.state = "s";
    vs.dcql = "{\"credentials\":[]}";
    vs.response_mode = "direct_post";
    assert_int_not_equal(verifier_fixed_new(NULL, &vs, NULL, NULL, &f), MOBID_OK);
    assert_null(f);
    vs.dcql = (char *)query_text;
    vs.state = NULL;
    assert_int_equal(verifier_fixed_new(NULL, &vs, NULL, NULL, &f), MOBID_ERR_INVALID_ARG);
    assert_null(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_found_until_expiry),
        cmocka_unit_test(test_replaced_entry_kept_by_holder),
        cmocka_unit_test(test_null_cache),
        cmocka_unit_test(test_bad_session_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
