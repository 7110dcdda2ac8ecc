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

static json_int_t unused_copies(fk_world *w)
{
    mobid_wallet_io io = fk_io(w);
    json_t *list = NULL;
    json_int_t n;

    assert_int_equal(mobid_wallet_list(&io, NULL, &list), MOBID_OK);
    n = json_integer_value(json_object_get(json_array_get(list, 0), "unused"));
    json_decref(list);
    return n;
}

/* A copy counts as used once it is sent: a refusal by the holder and an answer that
 * never left keep it; an answer lost after it left does not (it may have been seen). */
static void test_unsent_copy_kept(void **state)
{
    fk_world *w = *state;
    mobid_wallet_io io = fk_io(w);
    json_t *h = NULL;
    char uri[512], detail[256] = "";

    fk_wallet_ready(w, true);
    fk_rp_make(w, 0, "Government 24", fk_allowed(false, name_birth));
    fk_rp_request(w, 0, fk_dcql(false, name_birth), false, NULL);
    fk_rp_uri(w, 0, NULL, uri, sizeof uri);
    assert_int_equal(unused_copies(w), 3);
    w->consent = false;
    assert_int_equal(mobid_wallet_present(&io, uri, NULL, detail, sizeof detail),
                     MOBID_ERR_CONSENT_DENIED);
    assert_int_equal(unused_copies(w), 3);
    w->consent = true;
    w->rp_down = 1;
    assert_int_equal(mobid_wallet_present(&io, uri, NULL, detail, sizeof detail),
                     MOBID_ERR_FETCH_FAILED);
    assert_int_equal(w->rp[0].responses, 0);
    assert_int_equal(unused_copies(w), 3);
    assert_int_equal(mobid_wallet_history(&io, &h), MOBID_OK);
    assert_int_equal(json_array_size(h), 0);
    json_decref(h);
    w->rp_down = 2;
    assert_int_equal(mobid_wallet_present(&io, uri, NULL, detail, sizeof detail),
                     MOBID_ERR_FETCH_FAILED);
    assert_int_equal(unused_copies(w), 2);
    w->rp_down = 0;
    present_ok(w, 0, NULL);
    assert_int_equal(unused_copies(w), 1);
    assert_int_equal(mobid_wallet_history(&io, &h), MOBID_OK);
    assert_int_equal(json_array_size(h), 2);
    json_decref(h);
}

/* Each card's copies in the summary of a refresh: all n unused of n. */
static void assert_refreshed(json_t *sum, json_int_t n)
{
    json_t *list = json_object_get(sum, "refreshed"), *e;
    size_t i;

    assert_int_equal(json_array_size(list), 2);
    json_array_foreach(list, i, e)
    {
        assert_int_equal(json_integer_value(json_object_get(e, "unused")), n);
        assert_int_equal(json_integer_value(json_object_get(e, "total")), n);
    }
}

/* Copies end with their document signer, long before the card: a copy that ends within
 * a day is replaced by a refresh while it can still be shown; an expired copy counts
 * as used up, is never shown, and a refresh replaces it. */
static void test_expired_copies_replaced(void **state)
{
    fk_world *w = *state;
    mobid_wallet_io io = fk_io(w);
    json_t *sum = NULL;
    char uri[512], detail[256] = "";

    w->refreshable = true;
    fk_wallet_ready(w, true);
    fk_skip = 365 * 86400 - 3600; /* the copies end within the hour */
    assert_int_equal(unused_copies(w), 3);
    if (mobid_wallet_refresh(&io, NULL, &sum, detail, sizeof detail) != MOBID_OK)
        fail_msg("refresh: %s", detail);
    assert_int_equal(w->refreshes, 1);
    assert_refreshed(sum, 3);
    json_decref(sum);

    fk_skip = 2 * 366 * 86400; /* past the new copies' end */
    fk_rp_make(w, 0, "Government 24", fk_allowed(false, name_birth));
    fk_rp_request(w, 0, fk_dcql(false, name_birth), false, NULL);
    fk_rp_uri(w, 0, NULL, uri, sizeof uri);
    assert_int_equal(unused_copies(w), 0);
    assert_int_equal(mobid_wallet_present(&io, uri, NULL, detail, sizeof detail),
                     MOBID_ERR_NO_CREDENTIAL);
    assert_int_equal(w->rp[0].responses, 0);
    if (mobid_wallet_refresh(&io, NULL, &sum, detail, sizeof detail) != MOBID_OK)
        fail_msg("refresh: %s", detail);
    assert_int_equal(w->refreshes, 2);
    assert_refreshed(sum, 3);
    json_decref(sum);
    assert_int_equal(unused_copies(w), 3);
    present_ok(w, 0, NULL); /* and the copy it showed is replaced at once */
    assert_int_equal(w->rp[0].responses, 1);
    assert_int_equal(w->refreshes, 3);
    assert_int_equal(unused_copies(w), 3);
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
                                 (const char *)w->reg_pem.ptr, MOBID_WALLET_SCRYPT_N_MIN, 8, 1 };

    fk_wallet_ready(w, false);
    assert_int_equal(mobid_wallet_init(&io, &o), MOBID_ERR_INVALID_ARG);
}


/* Replace the stored blob by its JSON with one change made by edit. */
static void blob_edit(fk_world *w, void (*edit)(json_t *outer))
{
    json_t *outer = json_loadb((const char *)w->blob.ptr, w->blob.len, 0, NULL);
    char *text;

    assert_non_null(outer);
    edit(outer);
    text = json_dumps(outer, JSON_COMPACT);
    w->blob.len = 0;
    assert_int_equal(mobid_buf_append_str(&w->blob, text), MOBID_OK);
    assert_int_equal(mobid_buf_terminate(&w->blob), MOBID_OK);
    free(text);
    json_decref(outer);
}

static void swap_rp_roots(json_t *o)
{
    json_t *trust = json_object_get(o, "trust");
    json_t *reg = json_incref(json_object_get(trust, "registration"));
    json_object_set_new(trust, "registration", json_incref(json_object_get(trust, "rp")));
    json_object_set_new(trust, "rp", reg);
}
static void negative_counter(json_t *o) { json_object_set_new(o, "failed", json_integer(-50)); }
static void zero_counter(json_t *o) { json_object_set_new(o, "failed", json_integer(0)); }
static void weak_kdf(json_t *o) { json_object_set_new(json_object_get(o, "kdf"), "n", json_integer(2)); }
static void old_format(json_t *o) { json_object_set_new(o, "version", json_integer(1)); }
static void edit_vault(json_t *o)
{
    json_t *v = json_object_get(o, "vault");
    char *ct = strdup(json_string_value(json_object_get(v, "ct")));
    ct[5] = ct[5] == 'A' ? 'B' : 'A';
    json_object_set_new(v, "ct", json_string(ct));
    free(ct);
}

/* Swapped anchors, an edited counter, vault or KDF: a clear integrity error, never
 * PIN_WRONG, and the right PIN on a damaged file is not counted as a guess. */
static void test_tamper_refused(void **state)
{
    fk_world *w = *state;
    mobid_wallet_io io = fk_io(w);
    json_t *list = NULL;
    mobid_buf pristine;
    unsigned failed = 9;
    bool locked;
    void (*edits[])(json_t *) = { swap_rp_roots, edit_vault };

    w->device = NULL; /* only the PIN MAC guards this wallet */
    fk_wallet_ready(w, false);
    mobid_buf_init(&pristine, 0);
    assert_int_equal(mobid_buf_append_view(&pristine, mobid_buf_view(&w->blob)), MOBID_OK);
    for (size_t i = 0; i < 2; i++) {
        w->blob.len = 0;
        assert_int_equal(mobid_buf_append_view(&w->blob, mobid_buf_view(&pristine)), MOBID_OK);
        blob_edit(w, edits[i]);
        assert_int_equal(mobid_wallet_list(&io, NULL, &list), MOBID_ERR_WALLET_TAMPERED);
        assert_int_equal(mobid_wallet_lock_status(&io, &failed, &locked), MOBID_OK);
        assert_int_equal(failed, 0);
    }
    w->blob.len = 0;
    assert_int_equal(mobid_buf_append_view(&w->blob, mobid_buf_view(&pristine)), MOBID_OK);
    blob_edit(w, weak_kdf); /* a cheaper search for whoever edits the file */
    assert_int_equal(mobid_wallet_list(&io, NULL, &list), MOBID_ERR_WALLET_TAMPERED);
    w->blob.len = 0;
    assert_int_equal(mobid_buf_append_view(&w->blob, mobid_buf_view(&pristine)), MOBID_OK);
    blob_edit(w, negative_counter);
    assert_int_equal(mobid_wallet_lock_status(&io, &failed, &locked), MOBID_ERR_WALLET_TAMPERED);
    blob_edit(w, zero_counter);
    blob_edit(w, old_format);
    assert_int_equal(mobid_wallet_lock_status(&io, &failed, &locked), MOBID_ERR_UNSUPPORTED);
    mobid_buf_free(&pristine);
}

/* The attacker's relying-party CA and registration signer put in place of the
 * wallet's own: the attacker's request verifies against them, so the anchors' MAC must
 * refuse it before the consent screen, on a device-bound wallet before the PIN too. */
static const char *g_attacker_rp, *g_attacker_reg;
static void attacker_roots(json_t *o)
{
    json_t *trust = json_object_get(o, "trust");
    json_object_set_new(trust, "rp", json_string(g_attacker_rp));
    json_object_set_new(trust, "registration", json_string(g_attacker_reg));
}

static void test_swapped_anchors_before_consent(void **state)
{
    fk_world *w = *state;
    /* the genuine anchors: the ministry root, which never signed the attacker's RP */
    mobid_wallet_init_opts o = { (const char *)w->root_pem.ptr, (const char *)w->root_pem.ptr,
                                 (const char *)w->root_pem.ptr, MOBID_WALLET_SCRYPT_N_MIN, 8, 1 };
    char uri[512], detail[256] = "";

    fk_rp_make(w, 0, "Attacker", fk_allowed(false, name_birth));
    fk_rp_request(w, 0, fk_dcql(false, name_birth), false, NULL);
    fk_rp_uri(w, 0, NULL, uri, sizeof uri);
    for (int bound = 0; bound < 2; bound++) {
        mobid_wallet_io io;
        int pins, consents = w->consent_asked;

        w->device = bound ? "0123456789abcdef0123456789abcdef" : NULL;
        w->blob.len = 0;
        w->has_blob = false;
        io = fk_io(w);
        assert_int_equal(mobid_wallet_init(&io, &o), MOBID_OK);
        g_attacker_rp = (const char *)w->rpca_pem.ptr;
        g_attacker_reg = (const char *)w->reg_pem.ptr;
        blob_edit(w, attacker_roots);
        pins = w->pin_asked;
        assert_int_equal(mobid_wallet_present(&io, uri, NULL, detail, sizeof detail),
                         MOBID_ERR_WALLET_TAMPERED);
        assert_int_equal(w->consent_asked, consents);
        assert_int_equal(w->pin_asked, pins + (bound ? 0 : 1));
        assert_int_equal(w->rp[0].responses, 0);
    }
}

/* Trivial PINs and a weak KDF are refused when the wallet is made. */
static void test_weak_pin_and_kdf(void **state)
{
    fk_world *w = *state;
    mobid_wallet_io io = fk_io(w);
    mobid_wallet_init_opts o = { (const char *)w->root_pem.ptr, (const char *)w->rpca_pem.ptr,
                                 (const char *)w->reg_pem.ptr, MOBID_WALLET_SCRYPT_N_MIN, 8, 1 };
    const char *weak[] = { "000000", "123456", "987654", "121212", "123123", "777777" };

    for (size_t i = 0; i < sizeof weak / sizeof weak[0]; i++) {
        w->pin = weak[i];
        assert_int_equal(mobid_wallet_init(&io, &o), MOBID_ERR_PIN_TOO_WEAK);
    }
    w->pin = "246810";
    o.scrypt_n = 2;
    assert_int_equal(mobid_wallet_init(&io, &o), MOBID_ERR_INVALID_ARG);
    o.scrypt_n = MOBID_WALLET_SCRYPT_N_MIN;
    o.scrypt_r = 1;
    assert_int_equal(mobid_wallet_init(&io, &o), MOBID_ERR_INVALID_ARG);
    assert_false(w->has_blob);
    o.scrypt_r = 8;
    assert_int_equal(mobid_wallet_init(&io, &o), MOBID_OK);
}

/* A device-bound wallet: the counter cannot be edited back, and the file does not
 * open without the device's secret. */
static void test_device_bound(void **state)
{
    fk_world *w = *state;
    mobid_wallet_io io;
    json_t *list = NULL;
    unsigned failed;
    bool locked;

    w->device = "0123456789abcdef0123456789abcdef";
    fk_wallet_ready(w, false);
    io = fk_io(w);
    assert_true(strstr((const char *)w->blob.ptr, "\"device_bound\":true") != NULL);
    assert_int_equal(mobid_wallet_list(&io, NULL, &list), MOBID_OK);
    json_decref(list);
    w->pin = "135790";
    assert_int_equal(mobid_wallet_list(&io, NULL, &list), MOBID_ERR_PIN_WRONG);
    assert_int_equal(mobid_wallet_list(&io, NULL, &list), MOBID_ERR_PIN_WRONG);
    assert_int_equal(mobid_wallet_lock_status(&io, &failed, &locked), MOBID_OK);
    assert_int_equal(failed, 2);
    blob_edit(w, zero_counter);
    assert_int_equal(mobid_wallet_lock_status(&io, &failed, &locked), MOBID_ERR_WALLET_TAMPERED);
    w->pin = "246810";
    assert_int_equal(mobid_wallet_list(&io, NULL, &list), MOBID_ERR_WALLET_TAMPERED);
    w->device = "another device's secret 32 bytes";
    io = fk_io(w);
    assert_int_equal(mobid_wallet_lock_status(&io, &failed, &locked), MOBID_ERR_WALLET_TAMPERED);
    w->device = NULL;
    io = fk_io(w);
    assert_int_equal(mobid_wallet_lock_status(&io, &failed, &locked), MOBID_ERR_KEY_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_receive_both_formats, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_rps_unlinkable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mdoc_encrypted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_history_and_exhaustion, setup, teardown),
        cmocka_unit_test_setup_teardown(test_consent_denied, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsent_copy_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_pin_locks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_init_refuses_overwrite, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tamper_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_swapped_anchors_before_consent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_weak_pin_and_kdf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_device_bound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expired_copies_replaced, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
