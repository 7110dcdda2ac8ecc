/* Known-bad requests and offers: each is refused before consent or PIN, and the
 * relying party receives nothing. */
#include "fakes.h"

static const char *const name_birth[] = { "given_name", "birth_date", NULL };
static const char *const name_only[] = { "given_name", NULL };
static const char *const with_rrn[] = { "given_name", "rrn", NULL };

static int setup(void **state)
{
    fk_world *w = calloc(1, sizeof *w);
    fk_world_init(w);
    fk_wallet_ready(w, true);
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    fk_world_free(*state);
    free(*state);
    return 0;
}

/* Present to rp 0 (with client_id in the URI, or its own) and expect want with
 * nothing shown, asked or sent. */
static void refused(fk_world *w, const char *client_id, mobid_err want)
{
    mobid_wallet_io io = fk_io(w);
    char uri[512], detail[256] = "";
    int pins = w->pin_asked, saves = w->saves;
    mobid_err err;

    fk_rp_uri(w, 0, client_id, uri, sizeof uri);
    err = mobid_wallet_present(&io, uri, NULL, detail, sizeof detail);
    if (err != want)
        fail_msg("got %s (%s), want %s", mobid_err_name(err), detail, mobid_err_name(want));
    assert_true(detail[0] != '\0');
    assert_int_equal(w->rp[0].responses, 0);
    assert_int_equal(w->consent_asked, 0);
    assert_int_equal(w->pin_asked, pins);
    assert_int_equal(w->saves, saves);
}

static void test_bad_signature(void **state)
{
    fk_world *w = *state;
    mobid_key *other = NULL;

    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &other), MOBID_OK);
    fk_rp_make(w, 0, "Government 24", fk_allowed(false, name_birth));
    fk_rp_request(w, 0, fk_dcql(false, name_birth), false, other);
    refused(w, NULL, MOBID_ERR_SIGNATURE_INVALID);
    mobid_key_free(other);
}

static void test_tampered_payload(void **state)
{
    fk_world *w = *state;
    char *dot;

    fk_rp_make(w, 0, "Government 24", fk_allowed(false, name_birth));
    fk_rp_request(w, 0, fk_dcql(false, name_birth), false, NULL);
    dot = strchr(w->rp[0].request, '.');
    dot[5] = dot[5] == 'A' ? 'B' : 'A'; /* one payload character */
    refused(w, NULL, MOBID_ERR_SIGNATURE_INVALID);
}

static void test_unregistered_rp(void **state)
{
    fk_world *w = *state;

    fk_rp_make(w, 0, "Unknown shop", NULL);
    fk_rp_request(w, 0, fk_dcql(false, name_birth), false, NULL);
    refused(w, NULL, MOBID_ERR_RP_NOT_REGISTERED);
    assert_string_equal(mobid_err_name(MOBID_ERR_RP_NOT_REGISTERED), "RP_NOT_REGISTERED");
}

/* A registration signed by a registrar of the party's own choosing, not the ministry's:
 * the party is not registered with the ministry. */
static void test_foreign_registrar(void **state)
{
    fk_world *w = *state;
    mobid_key *ministry_key = w->reg_key, *rogue_key = NULL;
    mobid_cert *ministry = w->regc;

    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &rogue_key), MOBID_OK);
    w->reg_key = rogue_key;
    w->regc = fk_cert("Rogue registry", rogue_key, rogue_key, NULL, false, 0, NULL);
    fk_rp_make(w, 0, "Rogue shop", fk_allowed(false, name_birth));
    mobid_cert_free(w->regc);
    w->reg_key = ministry_key;
    w->regc = ministry;
    mobid_key_free(rogue_key);
    fk_rp_request(w, 0, fk_dcql(false, name_birth), false, NULL);
    refused(w, NULL, MOBID_ERR_RP_NOT_REGISTERED);
}

static void test_client_id_mismatch(void **state)
{
    fk_world *w = *state;

    fk_rp_make(w, 0, "Government 24", fk_allowed(false, name_birth));
    fk_rp_make(w, 1, "Overseas Korean portal", fk_allowed(false, name_birth));
    fk_rp_request(w, 0, fk_dcql(false, name_birth), false, NULL);
    refused(w, w->rp[1].client_id, MOBID_ERR_SUBJECT_MISMATCH);
}

static void test_claim_outside_registration(void **state)
{
    fk_world *w = *state;

    fk_rp_make(w, 0, "Government 24", fk_allowed(false, name_only));
    fk_rp_request(w, 0, fk_dcql(false, with_rrn), false, NULL);
    refused(w, NULL, MOBID_ERR_CLAIM_NOT_ALLOWED);
}

static void test_mdoc_claim_outside_registration(void **state)
{
    fk_world *w = *state;

    fk_rp_make(w, 0, "Bank", fk_allowed(true, name_only));
    fk_rp_request(w, 0, fk_dcql(true, with_rrn), true, NULL);
    refused(w, NULL, MOBID_ERR_CLAIM_NOT_ALLOWED);
}

static void test_untrusted_rp_ca(void **state)
{
    fk_world *w = *state;
    mobid_key *ca_key = NULL;
    mobid_cert *ca;

    fk_rp_make(w, 0, "Government 24", fk_allowed(false, name_birth));
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &ca_key), MOBID_OK);
    ca = fk_cert("Rogue CA", ca_key, ca_key, NULL, true, 0, NULL);
    mobid_cert_free(w->rp[0].cert);
    w->rp[0].cert = fk_cert("Government 24", w->rp[0].key, ca_key, ca, false, 0, NULL);
    fk_rp_request(w, 0, fk_dcql(false, name_birth), false, NULL);
    refused(w, NULL, MOBID_ERR_UNTRUSTED_ISSUER);
    mobid_cert_free(ca);
    mobid_key_free(ca_key);
}

static void test_not_openid4vp(void **state)
{
    fk_world *w = *state;
    mobid_wallet_io io = fk_io(w);
    char detail[128];

    assert_int_equal(mobid_wallet_present(&io, "https://rp0.test/request", NULL, detail,
                                          sizeof detail),
                     MOBID_ERR_MALFORMED);
    assert_int_equal(mobid_wallet_present(&io, "openid4vp://?client_id=x", NULL, detail,
                                          sizeof detail),
                     MOBID_ERR_MALFORMED);
}

static void test_wrong_tx_code_stores_nothing(void **state)
{
    fk_world *w = *state;
    mobid_wallet_io io = fk_io(w);
    json_t *list = NULL;
    char uri[1024], detail[256] = "";
    mobid_buf b;

    w->tx_answer = "9999";
    mobid_buf_init(&b, 0);
    assert_int_equal(mobid_oid4vci_offer_ref_uri(FK_ISSUER "/offers/1", &b), MOBID_OK);
    snprintf(uri, sizeof uri, "%.*s", (int)b.len, (const char *)b.ptr);
    mobid_buf_free(&b);
    assert_int_equal(mobid_wallet_receive(&io, uri, NULL, detail, sizeof detail),
                     MOBID_ERR_FETCH_FAILED);
    /* One sentence from the error object, not the raw body. */
    assert_non_null(strstr(detail, "refused: invalid_grant"));
    assert_null(strstr(detail, "{"));
    assert_int_equal(mobid_wallet_list(&io, NULL, &list), MOBID_OK);
    assert_int_equal(json_array_size(list), 2); /* only what setup received */
    json_decref(list);
}

static void test_untrusted_issuer_stores_nothing(void **state)
{
    fk_world *w = *state;
    mobid_wallet_io io = fk_io(w);
    json_t *list = NULL, *offer = NULL;
    char detail[256] = "";
    mobid_key *k = NULL;
    mobid_cert *rogue;
    mobid_buf uri;
    int pins;

    /* The DS is now under another root: the PIN comes first (nothing is redeemed
     * before it), the credentials are checked before anything is sealed. */
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &k), MOBID_OK);
    rogue = fk_cert("Rogue root", k, k, NULL, true, 0, NULL);
    mobid_cert_free(w->ds);
    w->ds = fk_cert("Rogue DS", w->ds_key, k, rogue, false, MOBID_PURPOSE_MDOC_DS, FK_ISSUER);
    assert_int_equal(mobid_json_parse(mobid_view_str(w->offer_json), 0, &offer), MOBID_OK);
    mobid_buf_init(&uri, 0);
    assert_int_equal(mobid_oid4vci_offer_uri(offer, &uri), MOBID_OK);
    assert_int_equal(mobid_buf_terminate(&uri), MOBID_OK);
    pins = w->pin_asked;
    assert_int_equal(mobid_wallet_receive(&io, (char *)uri.ptr, NULL, detail, sizeof detail),
                     MOBID_ERR_UNTRUSTED_ISSUER);
    assert_int_equal(w->pin_asked, pins + 1);
    assert_int_equal(mobid_wallet_list(&io, NULL, &list), MOBID_OK);
    assert_int_equal(json_array_size(list), 2);
    json_decref(list);
    json_decref(offer);
    mobid_buf_free(&uri);
    mobid_cert_free(rogue);
    mobid_key_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bad_signature, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tampered_payload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unregistered_rp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_registrar, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_id_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_claim_outside_registration, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mdoc_claim_outside_registration, setup, teardown),
        cmocka_unit_test_setup_teardown(test_untrusted_rp_ca, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_openid4vp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_tx_code_stores_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_untrusted_issuer_stores_nothing, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
