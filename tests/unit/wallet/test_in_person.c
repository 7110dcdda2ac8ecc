/*
 * The wallet in person (ISO 18013-5), against a reader played in-process through the
 * transport callbacks: a registered reader gets exactly its items, verified, and the
 * copy is used and logged; an unsigned request, a reader certificate without the
 * reader EKU, a registration bound to another certificate, items beyond the
 * registration, a refused consent and a wrong PIN each end the session with status
 * 20 and nothing shown; a replayed request is named MESSAGE_REPLAYED.
 */
/* fakes.h also serves the online tests: its request helpers go unused here. */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "fakes.h"

#include <mobid/cose.h>
#include <mobid/proximity.h>

static const char *const name_birth[] = { "given_name", "birth_date", NULL };
static const char *const name_rrn[] = { "given_name", "resident_registration_number", NULL };

/* The reader side, driven by the wallet's send and recv. */
typedef struct fk_reader {
    fk_world *w;
    mobid_key *edev;          /* the holder's ephemeral key (engagement) */
    mobid_buf engagement;
    mobid_key *auth_key;      /* readerAuth key and certificate */
    mobid_cert *cert;
    bool sign;                /* send readerAuth */
    const char *const *names; /* items asked */
    char *registration;
    mobid_px_session *s;
    mobid_key *erdr;
    mobid_buf first;          /* the SessionEstablishment, kept for a replay */
    int recvs;
    bool replay;              /* answer the response with the first request again */
    uint64_t status;          /* status the holder sent without data, if any */
    mobid_buf response;       /* the decrypted DeviceResponse */
} fk_reader;

static void reader_init(fk_reader *r, fk_world *w, mobid_cert_purpose purpose)
{
    mobid_px_retrieval m = { .type = MOBID_PX_RETRIEVAL_TCP, .version = 1, .host = "127.0.0.1",
                             .port = 9 };
    memset(r, 0, sizeof *r);
    r->w = w;
    r->sign = true;
    r->names = name_birth;
    mobid_buf_init(&r->engagement, 0);
    mobid_buf_init(&r->first, 0);
    mobid_buf_init(&r->response, 0);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &r->edev), MOBID_OK);
    assert_int_equal(mobid_px_engagement_encode(r->edev, &m, 1, &r->engagement), MOBID_OK);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &r->auth_key), MOBID_OK);
    r->cert = fk_cert("Hotel desk", r->auth_key, w->rpca_key, w->rpca, false, purpose, NULL);
}

/* A registration of the reader (or of another certificate) allowing `allowed`. */
static void reader_register(fk_reader *r, const mobid_cert *bound, json_t *allowed)
{
    mobid_oid4vp_registration_params p = { 0 };
    mobid_buf cid, b;
    mobid_buf_init(&cid, 0);
    mobid_buf_init(&b, 0);
    assert_int_equal(mobid_oid4vp_client_id(bound, &cid), MOBID_OK);
    assert_int_equal(mobid_buf_terminate(&cid), MOBID_OK);
    p.key = r->w->reg_key;
    p.x5c = &r->w->regc;
    p.x5c_len = 1;
    p.rp_id = "hotel";
    p.name = "Hotel desk";
    p.legal_basis = "guest registration";
    p.allowed = allowed;
    p.client_id = (const char *)cid.ptr;
    p.iat = fk_now(NULL) - 10;
    p.exp = fk_now(NULL) + 86400;
    assert_int_equal(mobid_oid4vp_registration_sign(&p, &b), MOBID_OK);
    free(r->registration);
    r->registration = mobid_buf_detach_str(&b);
    json_decref(allowed);
    mobid_buf_free(&cid);
}

static void reader_free(fk_reader *r)
{
    mobid_key_free(r->edev);
    mobid_key_free(r->auth_key);
    mobid_key_free(r->erdr);
    mobid_cert_free(r->cert);
    mobid_px_session_free(r->s);
    mobid_buf_free(&r->engagement);
    mobid_buf_free(&r->first);
    mobid_buf_free(&r->response);
    free(r->registration);
}

/* The SessionEstablishment: EReaderKey, transcript, a DeviceRequest for r->names. */
static void reader_establish(fk_reader *r, mobid_buf *out)
{
    mobid_px_item items[4];
    mobid_buf erk, st, info, req, ct;
    mobid_cbor_enc e;
    size_t n = 0;
    mobid_buf_init(&erk, 0);
    mobid_buf_init(&st, 0);
    mobid_buf_init(&info, 0);
    mobid_buf_init(&req, 0);
    mobid_buf_init(&ct, 0);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &r->erdr), MOBID_OK);
    mobid_cbor_enc_init(&e, &erk);
    assert_int_equal(mobid_cose_key_encode(r->erdr, false, &e), MOBID_OK);
    assert_int_equal(mobid_cbor_enc_finish(&e), MOBID_OK);
    assert_int_equal(mobid_px_transcript_qr(mobid_buf_view(&r->engagement), mobid_buf_view(&erk), &st),
                     MOBID_OK);
    assert_int_equal(mobid_px_session_new(MOBID_PX_READER, r->erdr, r->edev, mobid_buf_view(&st), &r->s),
                     MOBID_OK);
    for (; r->names[n]; n++)
        items[n] = (mobid_px_item){ mobid_view_str(FK_NS), mobid_view_str(r->names[n]), n == 0 };
    if (r->registration) {
        mobid_cbor_enc_init(&e, &info);
        mobid_cbor_put_map_head(&e, 1);
        mobid_cbor_put_cstr(&e, "registration");
        mobid_cbor_put_cstr(&e, r->registration);
        assert_int_equal(mobid_cbor_enc_finish(&e), MOBID_OK);
    }
    mobid_px_doc_spec spec = { FK_DOCTYPE, items, n, mobid_buf_view(&info),
                               r->sign ? r->auth_key : NULL, &r->cert, 1 };
    assert_int_equal(mobid_px_device_request_encode(&spec, 1, mobid_px_session_transcript(r->s), &req),
                     MOBID_OK);
    assert_int_equal(mobid_px_encrypt(r->s, mobid_buf_view(&req), &ct), MOBID_OK);
    assert_int_equal(mobid_px_establishment_encode(mobid_buf_view(&erk), mobid_buf_view(&ct), out),
                     MOBID_OK);
    mobid_buf_free(&erk);
    mobid_buf_free(&st);
    mobid_buf_free(&info);
    mobid_buf_free(&req);
    mobid_buf_free(&ct);
}

static mobid_err rd_send(void *ctx, mobid_view msg)
{
    fk_reader *r = ctx;
    mobid_px_session_data sd;
    assert_int_equal(mobid_px_session_data_parse(msg, &sd), MOBID_OK);
    if (sd.has_status && !sd.has_data)
        r->status = sd.status;
    if (sd.has_data)
        assert_int_equal(mobid_px_decrypt(r->s, sd.data, &r->response), MOBID_OK);
    return MOBID_OK;
}

static mobid_err rd_recv(void *ctx, size_t max, mobid_buf *out)
{
    fk_reader *r = ctx;
    mobid_px_establishment est;
    (void)max;
    if (r->recvs++ == 0) {
        reader_establish(r, &r->first);
        return mobid_buf_append(out, r->first.ptr, r->first.len);
    }
    if (!r->replay || !r->response.len)
        return mobid_px_session_data_encode(mobid_view_make(NULL, 0), MOBID_PX_STATUS_TERMINATION, out);
    /* the first request's ciphertext once more, as SessionData */
    assert_int_equal(mobid_px_establishment_parse(mobid_buf_view(&r->first), &est), MOBID_OK);
    return mobid_px_session_data_encode(est.data, -1, out);
}

static mobid_err present(fk_world *w, fk_reader *r, json_t **summary)
{
    mobid_wallet_io io = fk_io(w);
    mobid_px_transport t = { r, rd_send, rd_recv, NULL };
    char detail[256] = "";
    return mobid_wallet_present_in_person(&io, &t, r->edev, mobid_buf_view(&r->engagement), summary,
                                          detail, sizeof detail);
}

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

static void test_success(void **state)
{
    fk_world *w = *state;
    fk_reader r;
    json_t *summary = NULL, *hist = NULL;
    mobid_wallet_io io = fk_io(w);
    mobid_mdoc_verifier *v = NULL;
    mobid_mdoc_result res;
    mobid_trust *t = NULL;
    reader_init(&r, w, MOBID_PURPOSE_MDOC_READER);
    reader_register(&r, r.cert, fk_allowed(true, name_birth));
    assert_int_equal(present(w, &r, &summary), MOBID_OK);
    assert_string_equal(json_string_value(json_object_get(summary, "rp")), "Hotel desk");
    assert_string_equal(json_string_value(json_object_get(summary, "channel")), "in_person");
    assert_int_equal(r.status, 0); /* no error status from the holder */
    /* the reader verifies the answer: two items, device MAC, the ministry's signer */
    assert_int_equal(mobid_trust_new(&t), MOBID_OK);
    assert_int_equal(mobid_trust_add(t, w->root), MOBID_OK);
    assert_int_equal(mobid_mdoc_verifier_new(t, &v), MOBID_OK);
    mobid_mdoc_verify_opts o = { mobid_px_session_transcript(r.s), r.erdr, fk_now(NULL), FK_DOCTYPE };
    assert_int_equal(mobid_mdoc_verify(v, mobid_buf_view(&r.response), &o, &res), MOBID_OK);
    assert_int_equal(res.docs[0].n_items, 2);
    assert_true(res.docs[0].device_mac);
    mobid_mdoc_result_free(&res);
    assert_int_equal(mobid_wallet_history(&io, &hist), MOBID_OK);
    assert_string_equal(json_string_value(json_object_get(json_array_get(hist, 0), "channel")),
                        "in_person");
    json_decref(hist);
    json_decref(summary);
    mobid_mdoc_verifier_free(v);
    mobid_trust_free(t);
    reader_free(&r);
}

/* Refusals: the holder sends status 20 and no data. */
static void refused(fk_world *w, fk_reader *r, mobid_err want)
{
    int saves = w->saves;
    assert_int_equal(present(w, r, NULL), want);
    assert_int_equal(r->status, MOBID_PX_STATUS_TERMINATION);
    assert_int_equal(r->response.len, 0);
    assert_true(w->saves <= saves + 2); /* at most the PIN counter, no history entry */
}

static void test_refusals(void **state)
{
    fk_world *w = *state;
    fk_reader r;
    int pins = w->pin_asked;
    /* unsigned request */
    reader_init(&r, w, MOBID_PURPOSE_MDOC_READER);
    reader_register(&r, r.cert, fk_allowed(true, name_birth));
    r.sign = false;
    refused(w, &r, MOBID_ERR_UNAUTHENTICATED);
    reader_free(&r);
    /* a certificate without the reader EKU */
    reader_init(&r, w, MOBID_PURPOSE_SIGNING);
    reader_register(&r, r.cert, fk_allowed(true, name_birth));
    refused(w, &r, MOBID_ERR_CERT_USAGE);
    reader_free(&r);
    /* a registration for another certificate; none at all */
    reader_init(&r, w, MOBID_PURPOSE_MDOC_READER);
    reader_register(&r, w->rpca, fk_allowed(true, name_birth));
    refused(w, &r, MOBID_ERR_SUBJECT_MISMATCH);
    free(r.registration);
    r.registration = NULL;
    mobid_px_session_free(r.s);
    r.s = NULL;
    mobid_key_free(r.erdr);
    r.erdr = NULL;
    r.recvs = 0;
    r.status = 0;
    r.first.len = 0;
    refused(w, &r, MOBID_ERR_RP_NOT_REGISTERED);
    reader_free(&r);
    /* more than the registration allows */
    reader_init(&r, w, MOBID_PURPOSE_MDOC_READER);
    reader_register(&r, r.cert, fk_allowed(true, name_birth));
    r.names = name_rrn;
    refused(w, &r, MOBID_ERR_CLAIM_NOT_ALLOWED);
    reader_free(&r);
    assert_int_equal(w->consent_asked, 0);
    assert_int_equal(w->pin_asked, pins);
    /* consent refused: no PIN asked */
    reader_init(&r, w, MOBID_PURPOSE_MDOC_READER);
    reader_register(&r, r.cert, fk_allowed(true, name_birth));
    w->consent = false;
    refused(w, &r, MOBID_ERR_CONSENT_DENIED);
    assert_int_equal(w->consent_asked, 1);
    assert_int_equal(w->pin_asked, pins);
    reader_free(&r);
    /* a wrong PIN */
    reader_init(&r, w, MOBID_PURPOSE_MDOC_READER);
    reader_register(&r, r.cert, fk_allowed(true, name_birth));
    w->consent = true;
    w->pin = "000000";
    refused(w, &r, MOBID_ERR_PIN_WRONG);
    reader_free(&r);
}

static void test_replay(void **state)
{
    fk_world *w = *state;
    fk_reader r;
    reader_init(&r, w, MOBID_PURPOSE_MDOC_READER);
    reader_register(&r, r.cert, fk_allowed(true, name_birth));
    r.replay = true;
    assert_int_equal(present(w, &r, NULL), MOBID_ERR_MESSAGE_REPLAYED);
    assert_true(r.response.len > 0); /* the first request was answered */
    assert_int_equal(r.status, MOBID_PX_STATUS_ENCRYPTION_ERROR);
    reader_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_success, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replay, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
