/*
 * The verifier service over HTTP on loopback: sessions created by a relying party,
 * answered by a wallet built here from lib/oid4vp, lib/sdjwt and lib/mdoc, read back
 * by the relying party. Success in both formats and both response modes, and every
 * negative case with its own code.
 */
#include <pthread.h>
#include <time.h>
#include "vwallet.h"

#include "test_verifier_cases.h"

static int group_setup(void **state)
{
    (void)state;
    vf_setup(&F);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    vf_teardown(&F);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sdjwt_verified_once),
        cmocka_unit_test(test_sdjwt_direct_post_profile),
        cmocka_unit_test(test_mdoc_verified),
        cmocka_unit_test(test_wrong_nonce),
        cmocka_unit_test(test_replay),
        cmocka_unit_test(test_expired),
        cmocka_unit_test(test_suspended_and_revoked),
        cmocka_unit_test(test_untrusted_issuer),
        cmocka_unit_test(test_missing_claim),
        cmocka_unit_test(test_unsatisfied),
        cmocka_unit_test(test_tampered),
        cmocka_unit_test(test_other_session),
        cmocka_unit_test(test_not_registered),
        cmocka_unit_test(test_long_poll),
        cmocka_unit_test(test_api_key_and_owner),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
