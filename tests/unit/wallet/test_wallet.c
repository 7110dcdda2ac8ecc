/* The wallet against an in-process issuer and relying parties: receive both formats,
 * present to two RPs (unlinkable), mdoc over direct_post.jwt, history, PIN lock. */
#include "fakes.h"

static const char *const name_birth[] = { "given_name", "birth_date", NULL };

static int setup(void **state)
{
    fk_world *w = calloc(1, sizeof *w);
    fk_world_init(w);
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    fk_world_free(*state);
    free(*state);
    return 0;
}

static void present_ok(fk_world *w, int rp, json_t **summary)
{
    mobid_wallet_io io = fk_io(w);
    char uri[512], detail[256] = "";

    fk_rp_uri(w, rp, NULL, uri, sizeof uri);
    if (mobid_wallet_present(&io, uri, summary, detail, sizeof detail) != MOBID_OK)
        fail_msg("present: %s", detail);
}

static void test_receive_both_formats(void **state)
{
    fk_world *w = *state;
    mobid_wallet_io io = fk_io(w);
    json_t *list = NULL;
    size_t i;
    json_t *e;

    fk_wallet_ready(w, true);
    assert_int_equal(mobid_wallet_list(&io, NULL, &list), MOBID_OK);
    assert_int_equal(json_array_size(list), 2);
    json_array_foreach(list, i, e)
    {
        assert_int_equal(json_integer_value(json_object_get(e, "unused")), 3);
        assert_null(json_object_get(e, "items"));
    }
    json_decref(list);
    /* No claim, key or credential in plaintext. */
    assert_null(strstr((char *)w->blob.ptr, FK_NAME));
    assert_null(strstr((char *)w->blob.ptr, FK_BIRTH));
    assert_null(strstr((char *)w->blob.ptr, FK_RRN));
    assert_null(strstr((char *)w->blob.ptr, "\"d\""));
    assert_null(strstr((char *)w->blob.ptr, "eyJhbGci"));
}

static void verify_sdjwt(fk_world *w, int rp, json_t **claims, const char **pres)
{
    mobid_sdjwt_verify_opts o = { 0 };
    mobid_sdjwt_result res = { 0 };
    mobid_trust *t = NULL;

    *pres = json_string_value(json_array_get(json_object_get(w->rp[rp].last_vp_token, "pid"), 0));
    assert_non_null(*pres);
    assert_int_equal(mobid_trust_new(&t), MOBID_OK);
    assert_int_equal(mobid_trust_add(t, w->root), MOBID_OK);
    o.trust = t;
    o.now = fk_now(NULL);
    o.skew = -1;
    o.require_kb = true;
    o.nonce = w->rp[rp].nonce;
    o.aud = w->rp[rp].client_id;
    if (mobid_sdjwt_verify(mobid_view_str(*pres), &o, &res) != MOBID_OK)
        fail_msg("verify: %s", res.detail);
    *claims = json_incref(res.claims);
    mobid_sdjwt_result_clear(&res);
    mobid_trust_free(t);
}

/* The part of an SD-JWT presentation before the first '~' (the issuer JWT). */
static size_t jwt_len(const char *p)
{
    return strcspn(p, "~");
}

static void test_two_rps_unlinkable(void **state)
{
    fk_world *w = *state;
    json_t *c0 = NULL, *c1 = NULL, *s0 = NULL, *s1 = NULL;
    const char *p0, *p1;

    fk_wallet_ready(w, true);
    for (int i = 0; i < 2; i++) {
        fk_rp_make(w, i, i ? "Overseas Korean portal" : "Government 24",
                   fk_allowed(false, name_birth));
        fk_rp_request(w, i, fk_dcql(false, name_birth), false, NULL);
    }
    present_ok(w, 0, &s0);
    present_ok(w, 1, &s1);
    assert_int_equal(w->rp[0].responses, 1);
    assert_int_equal(w->rp[1].responses, 1);
    assert_int_equal(w->consent_asked, 2);
    verify_sdjwt(w, 0, &c0, &p0);
    verify_sdjwt(w, 1, &c1, &p1);
    /* Exactly the asked claims. */
    assert_string_equal(json_string_value(json_object_get(c0, "given_name")), FK_NAME);
    assert_string_equal(json_string_value(json_object_get(c0, "birth_date")), FK_BIRTH);
    assert_null(json_object_get(c0, "rrn"));
    assert_null(json_object_get(c0, "family_name"));
    /* Different credentials, device keys and salts. */
    assert_false(jwt_len(p0) == jwt_len(p1) && memcmp(p0, p1, jwt_len(p0)) == 0);
    assert_false(json_equal(json_object_get(c0, "cnf"), json_object_get(c1, "cnf")));
    assert_null(strstr(p1, strchr(p0, '~') + 1) );
    assert_string_equal(json_string_value(json_object_get(s0, "rp")), "Government 24");
    assert_string_equal(json_string_value(json_object_get(s0, "redirect_uri")),
                        "https://rp.test/done");
    json_decref(c0);
    json_decref(c1);
    json_decref(s0);
    json_decref(s1);
}

static void test_mdoc_encrypted(void **state)
{
    fk_world *w = *state;
    mobid_mdoc_verifier *v = NULL;
    mobid_mdoc_verify_opts vo = { 0 };
    mobid_mdoc_result res = { 0 };
    mobid_trust *t = NULL;
    mobid_buf st, dr;
    json_t *jwk = NULL;
    uint8_t thumb[32];
    const char *pres;

    fk_wallet_ready(w, true);
    fk_rp_make(w, 2, "Bank", fk_allowed(true, name_birth));
    fk_rp_request(w, 2, fk_dcql(true, name_birth), true, NULL);
    present_ok(w, 2, NULL);
    assert_int_equal(w->rp[2].responses, 1);
    pres = json_string_value(json_array_get(json_object_get(w->rp[2].last_vp_token, "pid"), 0));
    assert_non_null(pres);
    mobid_buf_init(&dr, 0);
    mobid_buf_init(&st, 0);
    assert_int_equal(mobid_b64url_decode(mobid_view_str(pres), &dr), MOBID_OK);
    assert_int_equal(mobid_jwk_from_key(w->rp[2].enc_key, false, &jwk), MOBID_OK);
    assert_int_equal(mobid_jwk_thumbprint(jwk, thumb), MOBID_OK);
    assert_int_equal(mobid_mdoc_transcript_oid4vp(w->rp[2].client_id, w->rp[2].nonce,
                                                  mobid_view_make(thumb, 32),
                                                  "https://rp2.test/response", &st),
                     MOBID_OK);
    assert_int_equal(mobid_trust_new(&t), MOBID_OK);
    assert_int_equal(mobid_trust_add(t, w->root), MOBID_OK);
    assert_int_equal(mobid_mdoc_verifier_new(t, &v), MOBID_OK);
    vo.transcript = mobid_buf_view(&st);
    vo.at = fk_now(NULL);
    if (mobid_mdoc_verify(v, mobid_buf_view(&dr), &vo, &res) != MOBID_OK)
        fail_msg("mdoc verify: %s", res.detail);
    assert_int_equal(res.n_docs, 1);
    assert_int_equal(res.docs[0].n_items, 2);
    mobid_mdoc_result_free(&res);
    mobid_mdoc_verifier_free(v);
    mobid_trust_free(t);
    json_decref(jwk);
    mobid_buf_free(&st);
    mobid_buf_free(&dr);
}

static void test_history_and_exhaustion(void **state)
{
    fk_world *w = *state;
    mobid_wallet_io io = fk_io(w);
    json_t *h = NULL, *list = NULL;
    char uri[512], detail[256] = "";

    fk_wallet_ready(w, true);
    fk_rp_make(w, 0, "Government 24", fk_allowed(false, name_birth));
    fk_rp_request(w, 0, fk_dcql(false, name_birth), false, NULL);
    for (int i = 0; i < 3; i++)
        present_ok(w, 0, NULL);
    fk_rp_uri(w, 0, NULL, uri, sizeof uri);
    assert_int_equal(mobid_wallet_present(&io, uri, NULL, detail, sizeof detail),
                     MOBID_ERR_NO_CREDENTIAL);
    assert_int_equal(w->rp[0].responses, 3);
    assert_int_equal(mobid_wallet_history(&io, &h), MOBID_OK);
    assert_int_equal(json_array_size(h), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(h, 0), "rp")),
                        "Government 24");
    assert_int_equal(json_array_size(json_object_get(json_array_get(h, 0), "claims")), 2);
    /* Each presentation showed another copy of the batch. */
    for (int i = 0; i < 3; i++)
        assert_int_equal(json_integer_value(json_array_get(
                             json_object_get(json_array_get(h, i), "copies"), 0)),
                         i);
    assert_int_equal(mobid_wallet_list(&io, NULL, &list), MOBID_OK);
    json_decref(h);
    json_decref(list);
    assert_null(strstr((char *)w->blob.ptr, "Government 24"));
}

static void test_consent_denied(void **state)
{
    fk_world *w = *state;
    mobid_wallet_io io = fk_io(w);
    char uri[512], detail[256] = "";
    int pins;

    fk_wallet_ready(w, true);
    fk_rp_make(w, 0, "Government 24", fk_allowed(false, name_birth));
    fk_rp_request(w, 0, fk_dcql(false, name_birth), false, NULL);
    w->consent = false;
    pins = w->pin_asked;
    fk_rp_uri(w, 0, NULL, uri, sizeof uri);
    assert_int_equal(mobid_wallet_present(&io, uri, NULL, detail, sizeof detail),
                     MOBID_ERR_CONSENT_DENIED);
    assert_int_equal(w->rp[0].responses, 0);
    assert_int_equal(w->pin_asked, pins);
}

static void test_wrong_pin_locks(void **state)
{
    fk_world *w = *state;
    mobid_wallet_io io = fk_io(w);
    json_t *list = NULL;
    unsigned failed;
    bool locked;

    fk_wallet_ready(w, false);
    w->pin = "000000";
    for (unsigned i = 1; i <= 4; i++) {
        assert_int_equal(mobid_wallet_list(&io, NULL, &list), MOBID_ERR_PIN_WRONG);
        assert_int_equal(mobid_wallet_lock_status(&io, &failed, &locked), MOBID_OK);
        assert_int_equal(failed, i);
        assert_false(locked);
    }
    /* A right PIN resets the count; then five wrong ones in a row lock for good. */
    w->pin = "246810";
    assert_int_equal(mobid_wallet_list(&io, NULL, &list), MOBID_OK);
    json_decref(list);
    assert_int_equal(mobid_wallet_lock_status(&io, &failed, &locked), MOBID_OK);
    assert_int_equal(failed, 0);
    w->pin = "12345"; /* not even six digits: still counts */
    for (int i = 0; i < 4; i++)
        assert_int_equal(mobid_wallet_list(&io, NULL, &list), MOBID_ERR_PIN_WRONG);
    w->pin = "999999";
    assert_int_equal(mobid_wallet_list(&io, NULL, &list), MOBID_ERR_WALLET_LOCKED);
    w->pin = "246810";
    assert_int_equal(mobid_wallet_list(&io, NULL, &list), MOBID_ERR_WALLET_LOCKED);
    assert_int_equal(mobid_wallet_lock_status(&io, &failed, &locked), MOBID_OK);
    assert_true(locked);
}

static void test_init_refuses_overwrite(void **state)
{
    fk_world *w = *state;
    mobid_wallet_io io = fk_io(w);
    mobid_wallet_init_opts o = { (const char *)w->root_pem.ptr, (const char *)w->rpca_pem.ptr,
                                 (const char *)w->reg_pem.ptr, 1024, 8, 1 };

    fk_wallet_ready(w, false);
    assert_int_equal(mobid_wallet_init(&io, &o), MOBID_ERR_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_receive_both_formats, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_rps_unlinkable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mdoc_encrypted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_history_and_exhaustion, setup, teardown),
        cmocka_unit_test_setup_teardown(test_consent_denied, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_pin_locks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_init_refuses_overwrite, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
