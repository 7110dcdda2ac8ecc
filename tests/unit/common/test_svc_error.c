/* src/common: the services' error codes beside the library's. Names and numbers
 * are on the wire, in stored rows and in scripts, so they must not move. */
#include "testutil.h"
#include "common/svc_error.h"

#include <string.h>

static const mobid_err lib_codes[] = {
#define CODE_(name, num, msg) MOBID_ERR_##name,
    MOBID_ERR_LIST(CODE_)
#undef CODE_
};

static const mobid_err svc_codes[] = {
#define CODE_(name, num, msg) MOBID_SVC_ERR_##name,
    MOBID_SVC_ERR_LIST(CODE_)
#undef CODE_
};

#define N_(a) (sizeof a / sizeof a[0])

static void test_numbers_and_names_kept(void **state)
{
    (void)state;
    assert_int_equal(MOBID_SVC_ERR_STORE, 57);
    assert_int_equal(MOBID_SVC_ERR_ACCESS_DENIED, 66);
    assert_int_equal(MOBID_SVC_ERR_BUSY, 81);
    assert_int_equal(MOBID_SVC_ERR_SECOND_FACTOR_REQUIRED, 102);
    assert_string_equal(mobid_svc_err_name(MOBID_SVC_ERR_FOUR_EYES), "FOUR_EYES");
    assert_string_equal(mobid_svc_strerror(MOBID_SVC_ERR_STORE), "database error");
    /* library codes answer through the same lookup */
    assert_string_equal(mobid_svc_err_name(MOBID_ERR_EXPIRED), "EXPIRED");
    assert_string_equal(mobid_svc_strerror(MOBID_OK), "success");
    assert_string_equal(mobid_svc_err_name((mobid_err)9999), "UNKNOWN");
    /* the library alone does not know a service code */
    assert_string_equal(mobid_err_name(MOBID_SVC_ERR_STORE), "UNKNOWN");
}

static void test_vocabularies_disjoint(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_(svc_codes); i++) {
        const char *name = mobid_svc_err_name(svc_codes[i]);
        assert_true(mobid_svc_err_is_service(svc_codes[i]));
        assert_string_equal(mobid_err_name(svc_codes[i]), "UNKNOWN");
        assert_true(strlen(mobid_svc_strerror(svc_codes[i])) > 0);
        for (size_t j = 0; j < N_(lib_codes); j++) {
            assert_int_not_equal(svc_codes[i], lib_codes[j]);
            assert_string_not_equal(name, mobid_err_name(lib_codes[j]));
        }
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(name, mobid_svc_err_name(svc_codes[j]));
    }
    for (size_t j = 0; j < N_(lib_codes); j++)
        assert_false(mobid_svc_err_is_service(lib_codes[j]));
}

static void test_no_number_unused(void **state)
{
    (void)state;
    /* Up to the highest code, every number is one list's or the other's: a code
     * removed from one list without going to the other would leave a hole. */
    int top = 0;
    for (size_t i = 0; i < N_(svc_codes); i++)
        top = (int)svc_codes[i] > top ? (int)svc_codes[i] : top;
    for (size_t i = 0; i < N_(lib_codes); i++)
        top = (int)lib_codes[i] > top ? (int)lib_codes[i] : top;
    for (int n = 0; n <= top; n++)
        assert_string_not_equal(mobid_svc_err_name((mobid_err)n), "UNKNOWN");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numbers_and_names_kept),
        cmocka_unit_test(test_vocabularies_disjoint),
        cmocka_unit_test(test_no_number_unused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
